/**
 * IP address text <-> bytes for the VRRP core, on the project's one IP parser (schema/src/spec/
 * ip.ts), without node:net (the core is pure). Addresses travel through
 * the core as canonical text (IPv4 dotted quad, IPv6 RFC 5952 lower-case compressed) so they
 * compare with `===` and print as users expect; bytes exist only at the packet boundary.
 */

import { formatIpBytes, parseIp } from '../../../schema/src/spec/ip.ts';

export type AddressFamily = 'ipv4' | 'ipv6';

/** Byte length of one address of `family` in a VRRP advert (RFC 5798 §5.2.9). */
export function addressLength(family: AddressFamily): 4 | 16 {
  return family === 'ipv4' ? 4 : 16;
}

/** Parses an address of the given family (the project's one IP parser); null when invalid. A zone ("%eth0") is ignored. */
export function parseAddress(family: AddressFamily, text: string): Uint8Array | null {
  const p = parseIp(text.split('%')[0]!);
  return p && p.family === (family === 'ipv4' ? 'inet' : 'inet6') ? Uint8Array.from(p.bytes) : null;
}

/** Like {@link parseAddress} but throws a descriptive error; for config-derived values. */
export function addressBytes(family: AddressFamily, text: string, what = 'address'): Uint8Array {
  const b = parseAddress(family, text);
  if (!b) throw new TypeError(`${what} "${text}" is not a valid ${family === 'ipv4' ? 'IPv4' : 'IPv6'} address`);
  return b;
}

/** Formats 4 or 16 bytes as canonical text (RFC 5952 for IPv6: longest zero run compressed). */
export function formatAddress(bytes: Uint8Array): string {
  return formatIpBytes(bytes);
}

/** Canonical text of `text`, or null when it is not an address of `family`. */
export function canonicalAddress(family: AddressFamily, text: string): string | null {
  const b = parseAddress(family, text);
  return b ? formatAddress(b) : null;
}

/**
 * Unsigned network-byte-order comparison, as RFC 5798 §6.4.3 requires for the equal-priority
 * tie-break ("the primary IPvX address of the sender is greater than the local primary IPvX
 * address"). Returns <0, 0 or >0. Unparseable text sorts lowest so it never wins a tie.
 */
export function compareAddresses(family: AddressFamily, a: string, b: string): number {
  const x = parseAddress(family, a);
  const y = parseAddress(family, b);
  if (!x || !y) return (x ? 1 : 0) - (y ? 1 : 0);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return 0;
}
