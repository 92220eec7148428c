/**
 * IP address text <-> bytes, for the kernel interfaces that speak bytes (rtnetlink, ARP, ND).
 * The parsing is the project's one IP parser (schema/src/spec/ip.ts); this adds the throwing
 * form the shell wants, the optional IPv6 zone ("fe80::1%eth0") and the IPv4 broadcast.
 */
import { formatIpBytes, parseIp } from '../../../schema/src/spec/ip.ts';
import type { AddressFamily } from './ports.ts';

/** A colon means IPv6 (which is what a malformed address is reported as). */
function parsed(ip: string, want: 'inet' | 'inet6' = ip.includes(':') ? 'inet6' : 'inet') {
  const p = parseIp(ip.split('%')[0] ?? '');
  if (!p || p.family !== want) throw new TypeError(`invalid ${want === 'inet6' ? 'IPv6' : 'IPv4'} address '${ip}'`);
  return p;
}

/** Bytes of a dotted-quad IPv4 address. */
export function ipv4Bytes(ip: string): Uint8Array {
  return Uint8Array.from(parsed(ip, 'inet').bytes);
}

/** Bytes of an IPv6 address in any RFC 4291 text form (including '::' and a dotted tail). */
export function ipv6Bytes(ip: string): Uint8Array {
  return Uint8Array.from(parsed(ip, 'inet6').bytes);
}

/** IPv6 bytes as RFC 5952 text (lower case, longest zero run compressed). */
export function ipv6String(b: Uint8Array): string {
  if (b.length !== 16) throw new TypeError(`an IPv6 address has 16 bytes, got ${b.length}`);
  return formatIpBytes(b);
}

/** The family of an address in text form; throws for anything else. */
export function familyOf(ip: string): AddressFamily {
  return parsed(ip).family === 'inet' ? 4 : 6;
}

/** Bytes of an address of either family. */
export function ipBytes(ip: string): Uint8Array {
  return Uint8Array.from(parsed(ip).bytes);
}

/** Text of 4 or 16 address bytes. */
export function ipString(b: Uint8Array): string {
  return formatIpBytes(b);
}

/** IPv4 broadcast address of `ip`/`prefixLength` (all host bits set). */
export function ipv4Broadcast(ip: string, prefixLength: number): string {
  const b = ipv4Bytes(ip);
  const n = (((b[0] ?? 0) << 24) | ((b[1] ?? 0) << 16) | ((b[2] ?? 0) << 8) | (b[3] ?? 0)) >>> 0;
  const host = prefixLength >= 32 ? 0 : (0xffffffff >>> prefixLength) >>> 0;
  const brd = (n | host) >>> 0;
  return [brd >>> 24, (brd >>> 16) & 0xff, (brd >>> 8) & 0xff, brd & 0xff].join('.');
}
