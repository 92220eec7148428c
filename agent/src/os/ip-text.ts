/**
 * IP address text <-> bytes, for the kernel interfaces that speak bytes (rtnetlink, ARP, ND).
 * node:net validates but does not convert, so this is the small converter.
 */
import type { AddressFamily } from './ports.ts';

/** Bytes of a dotted-quad IPv4 address. */
export function ipv4Bytes(ip: string): Uint8Array {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new TypeError(`invalid IPv4 address '${ip}'`);
  }
  return Uint8Array.from(parts.map(Number));
}

/** Bytes of an IPv6 address in any RFC 4291 text form (including '::' and a dotted tail). */
export function ipv6Bytes(ip: string): Uint8Array {
  const bad = () => new TypeError(`invalid IPv6 address '${ip}'`);
  let text = ip.split('%')[0] ?? '';
  const tail: number[] = [];
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = ipv4Bytes(dotted[2] ?? '');
    tail.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
    const prefix = dotted[1] ?? '';
    text = prefix.endsWith('::') ? prefix : prefix.slice(0, -1);
  }
  const halves = text.split('::');
  if (halves.length > 2) throw bad();
  const parse = (s: string) => (s === '' ? [] : s.split(':').map((g) => {
    if (!/^[0-9a-f]{1,4}$/i.test(g)) throw bad();
    return parseInt(g, 16);
  }));
  const head = parse(halves[0] ?? '');
  const rest = halves.length === 2 ? parse(halves[1] ?? '') : [];
  const given = head.length + rest.length + tail.length;
  if (halves.length === 1 ? given !== 8 : given > 7) throw bad();
  const groups = [...head, ...new Array<number>(8 - given).fill(0), ...rest, ...tail];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/** IPv6 bytes as RFC 5952 text (lower case, longest zero run compressed). */
export function ipv6String(b: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i] ?? 0) << 8) | (b[i + 1] ?? 0));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (g: number[]) => g.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

/** The family of an address in text form; throws for anything else. */
export function familyOf(ip: string): AddressFamily {
  if (ip.includes(':')) {
    ipv6Bytes(ip);
    return 6;
  }
  ipv4Bytes(ip);
  return 4;
}

/** Bytes of an address of either family. */
export function ipBytes(ip: string): Uint8Array {
  return familyOf(ip) === 4 ? ipv4Bytes(ip) : ipv6Bytes(ip);
}

/** Text of 4 or 16 address bytes. */
export function ipString(b: Uint8Array): string {
  if (b.length === 4) return Array.from(b).join('.');
  if (b.length === 16) return ipv6String(b);
  throw new TypeError(`an IP address has 4 or 16 bytes, got ${b.length}`);
}

/** IPv4 broadcast address of `ip`/`prefixLength` (all host bits set). */
export function ipv4Broadcast(ip: string, prefixLength: number): string {
  const b = ipv4Bytes(ip);
  const n = (((b[0] ?? 0) << 24) | ((b[1] ?? 0) << 16) | ((b[2] ?? 0) << 8) | (b[3] ?? 0)) >>> 0;
  const host = prefixLength >= 32 ? 0 : (0xffffffff >>> prefixLength) >>> 0;
  const brd = (n | host) >>> 0;
  return [brd >>> 24, (brd >>> 16) & 0xff, (brd >>> 8) & 0xff, brd & 0xff].join('.');
}
