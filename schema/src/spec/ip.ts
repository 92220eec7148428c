/**
 * IP address parsing and canonical forms: the one parser of the project. The cluster spec, the
 * VRRP core (vrrp/addr.ts) and the OS shell (os/ip-text.ts) all read addresses through it, so
 * an address one of them accepts every other accepts too. Pure and dependency-free (no
 * node:net) so it runs anywhere: control plane, agent, CLI.
 *
 * Canonical forms matter for the fleet rules: "10.0.0.1" and "10.0.0.01" are rejected, and
 * "2001:DB8::1" and "2001:db8:0::1" compare equal, so "the same VIP in two clusters" is found
 * however each cluster spelled it.
 */

export type IpFamily = 'inet' | 'inet6';

export interface ParsedIp {
  family: IpFamily;
  /** Canonical text: dotted quad, or RFC 5952 lower-case compressed IPv6. */
  canonical: string;
  /** 4 or 16 bytes, network order. */
  bytes: number[];
}

export interface ParsedPrefix extends ParsedIp {
  /** Prefix length; undefined when the text carried no "/len". */
  prefixLength: number | undefined;
}

const IPV4_OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

function parseIpv4Bytes(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes: number[] = [];
  for (const p of parts) {
    if (!IPV4_OCTET.test(p)) return undefined;
    bytes.push(Number(p));
  }
  return bytes;
}

function parseIpv6Bytes(text: string): number[] | undefined {
  if (text.length < 2 || text.length > 45 || /[^0-9a-fA-F:.]/.test(text)) return undefined;
  let head = text;
  let tailV4: number[] = [];
  // Embedded IPv4 in the last 32 bits (::ffff:1.2.3.4).
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    const v4 = parseIpv4Bytes(text.slice(lastColon + 1));
    if (!v4) return undefined;
    tailV4 = v4;
    // Keep a trailing "::" (it may stand for the zero groups before the IPv4 part); drop a lone ":".
    head = text.slice(0, lastColon + 1);
    if (!head.endsWith('::')) head = head.slice(0, -1);
  }
  const groupsWanted = tailV4.length ? 6 : 8;
  const doubleColon = head.indexOf('::');
  if (doubleColon !== head.lastIndexOf('::') && doubleColon !== -1) return undefined;
  const parseGroups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  let groups: number[];
  if (doubleColon === -1) {
    const g = parseGroups(head);
    if (!g || g.length !== groupsWanted) return undefined;
    groups = g;
  } else {
    const left = parseGroups(head.slice(0, doubleColon));
    const right = parseGroups(head.slice(doubleColon + 2));
    if (!left || !right || left.length + right.length > groupsWanted - 1) return undefined;
    groups = [...left, ...new Array<number>(groupsWanted - left.length - right.length).fill(0), ...right];
  }
  const bytes: number[] = [];
  for (const g of groups) bytes.push(g >> 8, g & 0xff);
  return [...bytes, ...tailV4];
}

/** RFC 5952 text form: lower case, longest run (>= 2) of zero groups compressed, first wins. */
function formatIpv6(bytes: number[]): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Canonical text of 4 or 16 address bytes (dotted quad, RFC 5952); throws for another length. */
export function formatIpBytes(bytes: ArrayLike<number>): string {
  const b = Array.from(bytes);
  if (b.length === 4) return b.join('.');
  if (b.length === 16) return formatIpv6(b);
  throw new TypeError(`an IP address has 4 or 16 bytes, got ${b.length}`);
}

/** Parses a bare IPv4 or IPv6 address (no prefix, no zone). Undefined when invalid. */
export function parseIp(text: string): ParsedIp | undefined {
  const v4 = parseIpv4Bytes(text);
  if (v4) return { family: 'inet', canonical: v4.join('.'), bytes: v4 };
  const v6 = parseIpv6Bytes(text);
  if (v6) return { family: 'inet6', canonical: formatIpv6(v6), bytes: v6 };
  return undefined;
}

/** Parses "IP" or "IP/len" (len 0..32 for IPv4, 0..128 for IPv6). Undefined when invalid. */
export function parseIpPrefix(text: string): ParsedPrefix | undefined {
  const slash = text.indexOf('/');
  const ip = parseIp(slash === -1 ? text : text.slice(0, slash));
  if (!ip) return undefined;
  if (slash === -1) return { ...ip, prefixLength: undefined };
  const lenText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lenText)) return undefined;
  const prefixLength = Number(lenText);
  if (prefixLength > (ip.family === 'inet' ? 32 : 128)) return undefined;
  return { ...ip, prefixLength };
}

/**
 * canonicalIp and ipFamily by text. A site-wide change asks both about the same few hundred
 * addresses tens of thousands of times (every director's render, every fleet rule), and each
 * parse allocates its bytes and text. Bounded: cleared whole when full.
 */
const known = new Map<string, { canonical: string; family: IpFamily } | null>();
const KNOWN_MAX = 4096;
function knownIp(text: string): { canonical: string; family: IpFamily } | null {
  let k = known.get(text);
  if (k === undefined) {
    const p = parseIpPrefix(text);
    k = p ? { canonical: p.canonical, family: p.family } : null;
    if (known.size >= KNOWN_MAX) known.clear();
    known.set(text, k);
  }
  return k;
}

/** Canonical IP of an "IP[/len]" text (prefix dropped), or the text itself if it does not parse. */
export function canonicalIp(text: string): string {
  return knownIp(text)?.canonical ?? text;
}

/** Family of an "IP[/len]" text, or undefined if it does not parse. */
export function ipFamily(text: string): IpFamily | undefined {
  return knownIp(text)?.family;
}

/** True for IPv6 link-local fe80::/10. */
export function isIpv6LinkLocal(text: string): boolean {
  const p = parseIpPrefix(text);
  return !!p && p.family === 'inet6' && p.bytes[0] === 0xfe && (p.bytes[1]! & 0xc0) === 0x80;
}

/** True for IPv4 224.0.0.0/4 or IPv6 ff00::/8. */
export function isMulticastIp(text: string): boolean {
  const p = parseIp(text);
  if (!p) return false;
  return p.family === 'inet' ? (p.bytes[0]! & 0xf0) === 0xe0 : p.bytes[0] === 0xff;
}
