/**
 * VRRP advertisement codec: the VRRP payload only (the IP header belongs to the socket; TTL /
 * hop limit and addresses come in as receive metadata). Centiseconds and seconds-on-the-wire
 * live here and nowhere else: every interval outside this file is `...Ms`.
 *
 * Like FRR's `vrrp_pkt_parse_datagram`, decoding checks only that the packet is well formed
 * (version, type, length, checksum). Whether it belongs to us (VRID, auth, addresses, interval)
 * is validate.ts's job. Decoding never throws on bad bytes; it returns a DropReason.
 * RECEIVE.md lists every receive check, in order, with where it is made and why.
 */
import { addressBytes, addressLength, formatAddress, type AddressFamily } from './addr.ts';
import { computeChecksum, pseudoHeader, verifyChecksum } from './checksum.ts';

export type VrrpVersion = 2 | 3;

/** Why a received advert was discarded. Each one has its own counter. */
export type DropReason =
  | 'ttl'
  /** Not sent to the instance's group (multicast instance), or sent to a group (unicast instance). */
  | 'dst'
  | 'version'
  | 'type'
  | 'length'
  | 'checksum'
  | 'vrid'
  | 'auth'
  | 'addr_count'
  | 'addr_list'
  | 'interval'
  | 'owner'
  | 'unicast_src';

export const DROP_REASONS: readonly DropReason[] = [
  'ttl', 'dst', 'version', 'type', 'length', 'checksum', 'vrid', 'auth', 'addr_count', 'addr_list', 'interval', 'owner', 'unicast_src',
];

/** VRRPv2 Auth Type (RFC 2338 §5.3.6; removed by RFC 3768 but sent by keepalived). */
export type AuthType = 'none' | 'pass' | 'ah';
const AUTH_TYPE_CODE: Record<AuthType, number> = { none: 0, pass: 1, ah: 2 };
const AUTH_TYPE_NAME: Record<number, AuthType> = { 0: 'none', 1: 'pass', 2: 'ah' };

/**
 * Which checksum a packet carries / should carry.
 * - 'v2': RFC 3768, message only (all VRRPv2).
 * - 'pseudo': RFC 5798 with pseudo-header (v3 IPv6 always; v3 IPv4 keepalived/FRR default).
 * - 'plain': v3 IPv4 without pseudo-header (RFC 9568 §5.2.8, keepalived `v3_checksum_as_v2`).
 */
export type ChecksumForm = 'v2' | 'pseudo' | 'plain';

/** A decoded (or to-be-encoded) advertisement. */
export interface Advert {
  version: VrrpVersion;
  family: AddressFamily;
  vrid: number;
  priority: number;
  /** v2: Adver Int (whole seconds on the wire); v3: Max Adver Int (centiseconds on the wire). */
  advertIntervalMs: number;
  /** Canonical text, in packet order. */
  addresses: string[];
  /** v2 only; 'none' for v3. */
  authType: AuthType;
  /** v2 only: the 8 Authentication Data bytes; empty for v3. */
  authData: Uint8Array;
}

/** Addresses the checksum depends on (v3 pseudo-header): the IP source and destination. */
export interface PacketAddresses {
  srcAddress: string;
  dstAddress: string;
}

export type DecodeResult =
  | { ok: true; advert: Advert; checksumForm: ChecksumForm; checksum: number }
  | { ok: false; reason: DropReason };

const HEADER_LEN = 8;
const AUTH_DATA_LEN = 8;
const TYPE_ADVERTISEMENT = 1;

/** Bytes of a VRRP message with `count` addresses. */
export function advertLength(version: VrrpVersion, family: AddressFamily, count: number): number {
  return HEADER_LEN + count * addressLength(family) + (version === 2 ? AUTH_DATA_LEN : 0);
}

/**
 * The 8 auth-data bytes keepalived sends for `auth_pass`: the first 8 characters, zero padded
 * (keepalived.conf(5): "only the first eight characters are used").
 */
export function passAuthData(authPass: string): Uint8Array {
  const out = new Uint8Array(AUTH_DATA_LEN);
  const bytes = new TextEncoder().encode(authPass).subarray(0, AUTH_DATA_LEN);
  out.set(bytes);
  return out;
}

export interface EncodeOptions extends PacketAddresses {
  /** v3 IPv4 only: leave the pseudo-header out (RFC 9568 / keepalived `v3_checksum_as_v2`). */
  v3ChecksumAsV2?: boolean;
}

/**
 * Builds the VRRP message for `advert`. `srcAddress`/`dstAddress` are those the packet will be
 * sent with; they matter only for the v3 pseudo-header checksum (and for unicast the
 * destination is the peer, which is why keepalived grew `old_unicast_checksum`).
 *
 * Throws RangeError on values that cannot be encoded: those are config errors to catch earlier.
 */
export function encodeAdvert(advert: Advert, opts: EncodeOptions): Uint8Array {
  const { version, family, vrid, priority, addresses } = advert;
  if (version === 2 && family !== 'ipv4') throw new RangeError('VRRPv2 is IPv4 only (RFC 3768); use version 3 for IPv6');
  if (!Number.isInteger(vrid) || vrid < 1 || vrid > 255) throw new RangeError(`VRID ${vrid} is outside 1..255`);
  if (!Number.isInteger(priority) || priority < 0 || priority > 255) throw new RangeError(`priority ${priority} is outside 0..255`);
  if (addresses.length > 255) throw new RangeError(`${addresses.length} addresses do not fit the 8-bit Count IPvX Addr field`);
  const buf = new Uint8Array(advertLength(version, family, addresses.length));
  buf[0] = (version << 4) | TYPE_ADVERTISEMENT;
  buf[1] = vrid;
  buf[2] = priority;
  buf[3] = addresses.length;
  if (version === 2) {
    const seconds = advert.advertIntervalMs / 1000;
    if (!Number.isInteger(seconds) || seconds < 1 || seconds > 255) {
      throw new RangeError(`VRRPv2 advert interval ${advert.advertIntervalMs} ms is not whole seconds in 1..255 (RFC 3768 §5.3.7)`);
    }
    buf[4] = AUTH_TYPE_CODE[advert.authType];
    buf[5] = seconds;
  } else {
    const centis = advert.advertIntervalMs / 10;
    if (!Number.isInteger(centis) || centis < 1 || centis > 4095) {
      throw new RangeError(`VRRPv3 advert interval ${advert.advertIntervalMs} ms is not whole centiseconds in 10..40950 ms (RFC 5798 §5.2.7)`);
    }
    buf[4] = centis >> 8; // 4 reserved bits stay zero
    buf[5] = centis & 0xff;
  }
  let off = HEADER_LEN;
  for (const a of addresses) {
    buf.set(addressBytes(family, a, 'virtual address'), off);
    off += addressLength(family);
  }
  if (version === 2) {
    if (advert.authData.length > AUTH_DATA_LEN) throw new RangeError(`auth data is ${advert.authData.length} bytes; VRRPv2 carries 8`);
    buf.set(advert.authData, off);
  }
  const form: ChecksumForm = version === 2 ? 'v2' : family === 'ipv4' && opts.v3ChecksumAsV2 ? 'plain' : 'pseudo';
  const ph = form === 'pseudo' ? pseudoHeader(family, opts.srcAddress, opts.dstAddress, buf.length) : undefined;
  const sum = computeChecksum(buf, ph);
  buf[6] = sum >> 8;
  buf[7] = sum & 0xff;
  return buf;
}

export interface DecodeContext extends PacketAddresses {
  family: AddressFamily;
  /**
   * v3 IPv4 only: the one checksum form to accept ('pseudo': RFC 5798, keepalived's default;
   * 'plain': RFC 9568 / `v3_checksum_as_v2`). Unset, both are tried and the matching one is
   * reported, so a captured peer's setting can be shown; the receive path always sets it.
   */
  v3Ipv4Checksum?: 'pseudo' | 'plain';
}

/**
 * Parses a received VRRP message (IP payload). `family` and the IP addresses come from the
 * socket.
 *
 * The message must be exactly as long as its Count says (8 + Count × address length, + 8 bytes
 * of auth data for v2). RFC 5798 §7.1 only requires it to *contain* the complete packet, but
 * no VRRP sender adds bytes (the IP layer already strips link padding through Total Length),
 * keepalived 2.2.7 drops any other length ("vrrp packet too long"), and keepalived ≥ 2.4's
 * auth_hmac trailer is the one real trailer: one Vigil cannot verify, so it must not be
 * accepted as if it were plain VRRP. See RECEIVE.md.
 */
export function decodeAdvert(bytes: Uint8Array, ctx: DecodeContext): DecodeResult {
  const { family } = ctx;
  if (bytes.length < HEADER_LEN) return { ok: false, reason: 'length' };
  const version = bytes[0]! >> 4;
  const type = bytes[0]! & 0x0f;
  if (version !== 2 && version !== 3) return { ok: false, reason: 'version' };
  if (version === 2 && family !== 'ipv4') return { ok: false, reason: 'version' };
  if (type !== TYPE_ADVERTISEMENT) return { ok: false, reason: 'type' };
  const count = bytes[3]!;
  if (bytes.length !== advertLength(version, family, count)) return { ok: false, reason: 'length' };

  let checksumForm: ChecksumForm;
  if (version === 2) {
    if (!verifyChecksum(bytes)) return { ok: false, reason: 'checksum' };
    checksumForm = 'v2';
  } else {
    const want = family === 'ipv4' ? ctx.v3Ipv4Checksum : 'pseudo';
    const ph = want === 'plain' ? null : pseudoHeaderOrNull(family, ctx, bytes.length);
    if (ph && verifyChecksum(bytes, ph)) checksumForm = 'pseudo';
    else if (family === 'ipv4' && want !== 'pseudo' && verifyChecksum(bytes)) checksumForm = 'plain';
    else return { ok: false, reason: 'checksum' };
  }

  const addrLen = addressLength(family);
  const addresses: string[] = [];
  for (let i = 0; i < count; i++) {
    const off = HEADER_LEN + i * addrLen;
    addresses.push(formatAddress(bytes.subarray(off, off + addrLen)));
  }
  const advert: Advert = {
    version,
    family,
    vrid: bytes[1]!,
    priority: bytes[2]!,
    addresses,
    advertIntervalMs: version === 2 ? bytes[5]! * 1000 : (((bytes[4]! & 0x0f) << 8) | bytes[5]!) * 10,
    authType: version === 2 ? (AUTH_TYPE_NAME[bytes[4]!] ?? 'none') : 'none',
    authData: version === 2 ? bytes.slice(HEADER_LEN + count * addrLen, HEADER_LEN + count * addrLen + AUTH_DATA_LEN) : new Uint8Array(0),
  };
  // An unknown v2 auth type is kept distinguishable from 'none' for validate.ts.
  if (version === 2 && !(bytes[4]! in AUTH_TYPE_NAME)) return { ok: false, reason: 'auth' };
  return { ok: true, advert, checksumForm, checksum: (bytes[6]! << 8) | bytes[7]! };
}

/** The pseudo-header, or null if the rx metadata addresses cannot be parsed (then only 'plain' can match). */
function pseudoHeaderOrNull(family: AddressFamily, ctx: PacketAddresses, length: number): Uint8Array | null {
  try {
    return pseudoHeader(family, ctx.srcAddress, ctx.dstAddress, length);
  } catch {
    return null;
  }
}
