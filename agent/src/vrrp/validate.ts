/**
 * The receive checks (RFC 3768 §7.1, RFC 5798 §7.1) run on every packet an instance's socket
 * hands it, whatever its destination. A packet failing any check is dropped and counted (the
 * FSM's `advertRejected` event, by reason), never acted on. RECEIVE.md beside this file lists
 * every check of the whole receive path (kernel, addon, socket, pool, here) with its reason.
 *
 * What decides the rules is the instance's configuration, never the packet: a multicast
 * instance accepts only adverts sent to its group, a unicast instance only adverts from a
 * listed peer, and both only with TTL / hop limit 255 unless the sending peer's
 * `unicast_peer` line allows a range (keepalived's `min_ttl` / `max_ttl`).
 *
 * Order: receive metadata → source (unicast) → TTL → destination → decode (version, type,
 * length, checksum) → version match → VRID → auth (v2) → address count and list → interval →
 * owner. The counter names the first failing rule.
 */
import { canonicalAddress, type AddressFamily } from './addr.ts';
import { decodeAdvert, passAuthData, type Advert, type AuthType, type ChecksumForm, type DropReason, type VrrpVersion } from './packet.ts';

/** What the socket tells us about a received packet. */
export interface RxMeta {
  /** IPv4 TTL or IPv6 Hop Limit; -1 when the kernel did not report it. */
  ttl: number;
  srcAddress: string;
  /** '' when the kernel did not report it. */
  dstAddress: string;
}

/** RFC 5798 §5.1.1.3 / §5.1.2.3: sent with 255, received with anything else means off-link. */
export const VRRP_TTL = 255;

export interface UnicastPeer {
  address: string;
  /**
   * keepalived `min_ttl` / `max_ttl` on the `unicast_peer` line: the TTL / hop limit range
   * accepted from this peer (whose adverts may cross routers). Either one set means the range
   * [minTtl ?? 0, maxTtl ?? 255]; neither means 255 only.
   */
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
  /** Multicast instance: the group its adverts go to (`mcast_dst_ip`, default 224.0.0.18 / ff02::12). */
  group?: string;
  /** Unicast instance (`unicast_peer`): the only sources accepted. Non-empty makes the instance unicast. */
  unicastPeers?: readonly UnicastPeer[];
  /**
   * Unicast instance: the address its peers send to (`unicast_src_ip`, else the address its
   * own adverts leave from); the only destination accepted. keepalived gets the same effect by
   * binding its unicast socket to that address.
   */
  unicastAddress?: string;
  /** v3 IPv4: the checksum form accepted (and sent); default 'pseudo' (RFC 5798, keepalived). */
  v3Ipv4Checksum?: 'pseudo' | 'plain';
  /**
   * keepalived `skip_check_adv_addr`: a backup does not check the address list of adverts from
   * the master it already follows ({@link masterAddress}); any other sender is checked.
   */
  skipCheckAdvAddr?: boolean;
  /** The router this instance follows as a backup (last accepted advert), if any. */
  masterAddress?: string | null;
  /** keepalived `owner_ignore_adverts` (RFC 5798 §7.1 MUST, relaxed by erratum 8298). */
  ownerIgnoreAdverts?: boolean;
}

export type ValidateResult = { ok: true } | { ok: false; reason: DropReason };

const isMulticast = (family: AddressFamily, canonical: string): boolean =>
  family === 'ipv6' ? canonical.startsWith('ff') : Number(canonical.split('.', 1)[0]) >= 224 && Number(canonical.split('.', 1)[0]) <= 239;

/**
 * Checks that need only the receive metadata: source (unicast), TTL, destination. Run before
 * decoding, so a forged off-link packet costs no checksum.
 */
export function checkEnvelope(rx: RxMeta, cfg: ReceiveConfig): ValidateResult {
  const drop = (reason: DropReason): ValidateResult => ({ ok: false, reason });
  if (!Number.isInteger(rx.ttl) || rx.ttl < 0 || rx.ttl > 255) return drop('ttl');
  const dst = canonicalAddress(cfg.family, rx.dstAddress);
  const peers = cfg.unicastPeers ?? [];
  let minTtl = VRRP_TTL;
  let maxTtl = VRRP_TTL;
  if (peers.length > 0) {
    // With unicast_peer, only a listed peer may speak (keepalived needs check_unicast_src for
    // this; Vigil always checks: an unlisted source is either misconfigured or forged).
    const src = canonicalAddress(cfg.family, rx.srcAddress);
    const peer = src === null ? undefined : peers.find((p) => canonicalAddress(cfg.family, p.address) === src);
    if (!peer) return drop('unicast_src');
    if (peer.minTtl !== undefined || peer.maxTtl !== undefined) {
      minTtl = peer.minTtl ?? 0;
      maxTtl = peer.maxTtl ?? 255;
    }
  }
  // RFC 5798 §7.1 / RFC 3768 §7.1: "MUST verify that the IP TTL is 255". This is what keeps
  // VRRP on-link: every router on the way decrements it. keepalived skips it for unicast.
  if (rx.ttl < minTtl || rx.ttl > maxTtl) return drop('ttl');
  if (dst === null) return drop('dst');
  if (peers.length > 0) {
    // keepalived: "Expected unicast packet but received multicast packet"; and its socket,
    // bound to unicast_src_ip, never sees a broadcast or another local address.
    if (isMulticast(cfg.family, dst)) return drop('dst');
    if (cfg.unicastAddress !== undefined && dst !== canonicalAddress(cfg.family, cfg.unicastAddress)) return drop('dst');
  } else {
    // RFC 5798 §5.1.1.2 / §5.1.2.2: adverts go to the group. One sent to our own address, the
    // broadcast address or a VIP is no advert of this virtual router (keepalived: "Expected
    // multicast packet but received unicast packet"); only the group's own address counts.
    const group = cfg.group ?? (cfg.family === 'ipv4' ? '224.0.0.18' : 'ff02::12');
    if (dst !== canonicalAddress(cfg.family, group)) return drop('dst');
  }
  return { ok: true };
}

/** Runs the checks that depend on the decoded advert. */
export function validateAdvert(advert: Advert, rx: RxMeta, cfg: ReceiveConfig): ValidateResult {
  const drop = (reason: DropReason): ValidateResult => ({ ok: false, reason });
  if (advert.version !== cfg.version || advert.family !== cfg.family) return drop('version');
  if (advert.vrid !== cfg.vrid) return drop('vrid');
  if (cfg.version === 2 && !authMatches(advert, cfg)) return drop('auth');
  const fromOurMaster = cfg.masterAddress != null && canonicalAddress(cfg.family, rx.srcAddress) === canonicalAddress(cfg.family, cfg.masterAddress);
  if (!(cfg.skipCheckAdvAddr && fromOurMaster)) {
    // RFC 5798 §7.1 MAY: the count and the list must match the local config. Compared as sets
    // of equal size, as keepalived does (count equal, every configured VIP present), so
    // [.100, .100] does not stand for [.100, .101].
    if (advert.addresses.length !== cfg.virtualAddresses.length) return drop('addr_count');
    const local = new Set(cfg.virtualAddresses.map((a) => canonicalAddress(cfg.family, a)));
    const received = new Set(advert.addresses);
    if (received.size !== local.size || ![...local].every((a) => a !== null && received.has(a))) return drop('addr_list');
  }
  // RFC 3768 §7.1: v2 MUST discard on Adver Int mismatch. v3 learns it instead (§6.4.2), but a
  // Max Adver Int of 0 cannot come from a router (its Master_Down_Interval would be 0 and every
  // backup would take over at once); keepalived accepts it.
  if (cfg.version === 2 && advert.advertIntervalMs !== cfg.advertIntervalMs) return drop('interval');
  if (cfg.version === 3 && advert.advertIntervalMs === 0) return drop('interval');
  if (cfg.priority === 255 && cfg.ownerIgnoreAdverts) return drop('owner');
  return { ok: true };
}

function authMatches(advert: Advert, cfg: ReceiveConfig): boolean {
  // AH (RFC 2338 §5.3.6.2) authenticates in an IPsec header this socket never sees (IP protocol
  // 51): a protocol-112 packet claiming it proves nothing, so an AH instance accepts none.
  if (cfg.authType === 'ah') return false;
  if (advert.authType !== cfg.authType) return false;
  if (cfg.authType !== 'pass') return true;
  const want = passAuthData(cfg.authPass ?? '');
  let diff = 0;
  for (let i = 0; i < want.length; i++) diff |= want[i]! ^ (advert.authData[i] ?? 0); // no early exit
  return diff === 0;
}

export type ReceiveResult =
  | { ok: true; advert: Advert; checksumForm: ChecksumForm }
  | { ok: false; reason: DropReason };

/**
 * envelope + decode + validate: what the shell runs on every packet for an instance. The
 * shell routes by VRID first (keepalived's socket pool); a packet for a VRID it does not know
 * is counted as 'vrid' by the shell itself.
 */
export function receiveAdvert(bytes: Uint8Array, rx: RxMeta, cfg: ReceiveConfig): ReceiveResult {
  const e = checkEnvelope(rx, cfg);
  if (!e.ok) return e;
  const d = decodeAdvert(bytes, { family: cfg.family, srcAddress: rx.srcAddress, dstAddress: rx.dstAddress, v3Ipv4Checksum: cfg.v3Ipv4Checksum ?? 'pseudo' });
  if (!d.ok) return d;
  const v = validateAdvert(d.advert, rx, cfg);
  if (!v.ok) return v;
  return { ok: true, advert: d.advert, checksumForm: d.checksumForm };
}
