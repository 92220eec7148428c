/**
 * Internet checksum (RFC 1071) and the pseudo-headers VRRPv3 may include.
 *
 * VRRPv2 (RFC 3768 §5.3.8) sums the VRRP message alone. VRRPv3 (RFC 5798 §5.2.8) prepends the
 * RFC 2460 pseudo-header for both families; RFC 9568 §5.2.8 keeps it for IPv6 only. keepalived
 * and FRR include it for IPv4 by default (keepalived `v3_checksum_as_v2` / FRR
 * `no checksum-with-ipv4-pseudoheader` turn it off), so both forms exist on real networks.
 */
import { addressBytes, type AddressFamily } from './addr.ts';

/** IANA protocol number of VRRP; the "next header" in the pseudo-header. */
export const VRRP_PROTOCOL = 112;

/** One's-complement 16-bit sum of `parts`, folded; not yet inverted. */
function onesComplementSum(parts: readonly Uint8Array[]): number {
  let sum = 0;
  for (const buf of parts) {
    // Each part has even length here except possibly the last (the VRRP message, which is
    // always a multiple of 4 in practice); pad an odd tail with a zero byte per RFC 1071.
    let i = 0;
    for (; i + 1 < buf.length; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
    if (i < buf.length) sum += buf[i]! << 8;
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/**
 * Pseudo-header bytes for VRRPv3: IPv4 {src, dst, zero, proto, length16} (RFC 768 style, as
 * keepalived and FRR build it) or IPv6 {src, dst, length32, zero×3, next header} (RFC 8200 §8.1).
 */
export function pseudoHeader(family: AddressFamily, srcAddress: string, dstAddress: string, vrrpLength: number): Uint8Array {
  const src = addressBytes(family, srcAddress, 'source address');
  const dst = addressBytes(family, dstAddress, 'destination address');
  if (family === 'ipv4') {
    const ph = new Uint8Array(12);
    ph.set(src, 0);
    ph.set(dst, 4);
    ph[9] = VRRP_PROTOCOL;
    ph[10] = vrrpLength >> 8;
    ph[11] = vrrpLength & 0xff;
    return ph;
  }
  const ph = new Uint8Array(40);
  ph.set(src, 0);
  ph.set(dst, 16);
  ph[34] = vrrpLength >> 8;
  ph[35] = vrrpLength & 0xff;
  ph[39] = VRRP_PROTOCOL;
  return ph;
}

/**
 * Checksum to put in the header: the inverted one's-complement sum of `pseudo` (may be empty)
 * and `message` with its checksum field zeroed by the caller.
 */
export function computeChecksum(message: Uint8Array, pseudo?: Uint8Array): number {
  const sum = onesComplementSum(pseudo ? [pseudo, message] : [message]);
  return ~sum & 0xffff;
}

/** True when `message` (checksum field as received) verifies, with or without `pseudo`. */
export function verifyChecksum(message: Uint8Array, pseudo?: Uint8Array): boolean {
  return onesComplementSum(pseudo ? [pseudo, message] : [message]) === 0xffff;
}
