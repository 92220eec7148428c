/**
 * Receive checks (RFC 3768 §7.1, RFC 5798 §7.1) applied to an advert that decoded cleanly:
 * everything that depends on who we are. A packet failing any check is dropped and counted
 * (the FSM's `advertRejected` event), never acted on.
 *
 * Order follows the RFC text so the counter names the first failing rule:
 * TTL → (version/length/checksum, done by decode) → version match → VRID → auth (v2) →
 * address count / list → interval (v2) → owner.
 */
import { canonicalAddress, type AddressFamily } from './addr.ts';
import { decodeAdvert, passAuthData, type Advert, type AuthType, type ChecksumForm, type DropReason, type VrrpVersion } from './packet.ts';

/** What the socket tells us about a received packet. */
export interface RxMeta {
  /** IPv4 TTL or IPv6 Hop Limit. */
  ttl: number;
  srcAddress: string;
  dstAddress: string;
  /** True when received on the unicast path (keepalived `unicast_peer`). */
  unicast?: boolean;
}

export interface UnicastPeer {
  address: string;
  /** keepalived `min_ttl` / `max_ttl`: unicast adverts may cross routers, so 255 is not required. */
  minTtl?: number;
  maxTtl?: number;
}

/** The parts of an instance's config the receive checks need. */
export interface ReceiveConfig {
  version: VrrpVersion;
  family: AddressFamily;
  vrid: number;
  /** Local effective priority; 255 = owner. */
  priority: number;
  advertIntervalMs: number;
  authType: AuthType;
  /** keepalived `auth_pass`; compared on its first 8 bytes. */
  authPass?: string;
  /** VIPs carried in adverts (not virtual_ipaddress_excluded), in config order. */
  virtualAddresses: readonly string[];
  /** keepalived `skip_check_adv_addr`: accept adverts whose address list differs. */
  skipCheckAdvAddr?: boolean;
  /** keepalived `owner_ignore_adverts` (RFC 5798 §7.1 MUST, relaxed by erratum 8298). */
  ownerIgnoreAdverts?: boolean;
  unicastPeers?: readonly UnicastPeer[];
  /** keepalived `check_unicast_src`: unicast adverts must come from a configured peer. */
  checkUnicastSrc?: boolean;
}

export type ValidateResult = { ok: true } | { ok: false; reason: DropReason };

/** Runs the receive checks on a decoded advert. */
export function validateAdvert(advert: Advert, rx: RxMeta, cfg: ReceiveConfig): ValidateResult {
  const drop = (reason: DropReason): ValidateResult => ({ ok: false, reason });
  if (rx.unicast) {
    const src = canonicalAddress(cfg.family, rx.srcAddress);
    const peer = cfg.unicastPeers?.find((p) => canonicalAddress(cfg.family, p.address) === src);
    if (cfg.checkUnicastSrc && !peer) return drop('unicast_src');
    const min = peer?.minTtl ?? 0;
    const max = peer?.maxTtl ?? 255;
    if (rx.ttl < min || rx.ttl > max) return drop('ttl');
  } else if (rx.ttl !== 255) {
    // RFC 5798 §7.1: "MUST verify that the IP TTL is 255"; proves the sender is on-link.
    return drop('ttl');
  }
  if (advert.version !== cfg.version || advert.family !== cfg.family) return drop('version');
  if (advert.vrid !== cfg.vrid) return drop('vrid');
  if (cfg.version === 2 && !authMatches(advert, cfg)) return drop('auth');
  if (!cfg.skipCheckAdvAddr) {
    // RFC 5798 §7.1 MAY: count and list must match the local config. keepalived logs and
    // drops on mismatch unless skip_check_adv_addr; it compares as sets (order-insensitive).
    if (advert.addresses.length !== cfg.virtualAddresses.length) return drop('addr_count');
    const local = new Set(cfg.virtualAddresses.map((a) => canonicalAddress(cfg.family, a)));
    if (!advert.addresses.every((a) => local.has(a))) return drop('addr_list');
  }
  // RFC 3768 §7.1: v2 MUST discard on Adver Int mismatch. v3 learns it instead (§6.4.2).
  if (cfg.version === 2 && advert.advertIntervalMs !== cfg.advertIntervalMs) return drop('interval');
  if (cfg.priority === 255 && cfg.ownerIgnoreAdverts) return drop('owner');
  return { ok: true };
}

function authMatches(advert: Advert, cfg: ReceiveConfig): boolean {
  if (advert.authType !== cfg.authType) return false;
  if (cfg.authType !== 'pass') return true; // 'ah' is carried in an IPsec header, not here
  const want = passAuthData(cfg.authPass ?? '');
  return want.every((b, i) => advert.authData[i] === b);
}

export type ReceiveResult =
  | { ok: true; advert: Advert; checksumForm: ChecksumForm }
  | { ok: false; reason: DropReason };

/**
 * decode + validate in one call: what the shell runs on every packet for an instance. The
 * shell routes by VRID first (keepalived's socket pool); a packet for a VRID it does not know
 * is counted as 'vrid' by the shell itself.
 */
export function receiveAdvert(bytes: Uint8Array, rx: RxMeta, cfg: ReceiveConfig): ReceiveResult {
  // TTL first: it needs no parsing, and a forged off-link packet should not cost a checksum.
  if (!rx.unicast && rx.ttl !== 255) return { ok: false, reason: 'ttl' };
  const d = decodeAdvert(bytes, { family: cfg.family, srcAddress: rx.srcAddress, dstAddress: rx.dstAddress });
  if (!d.ok) return d;
  const v = validateAdvert(d.advert, rx, cfg);
  if (!v.ok) return v;
  return { ok: true, advert: d.advert, checksumForm: d.checksumForm };
}
