/**
 * IP address text <-> bytes, without node:net (the VRRP core is pure). Addresses travel through
 * the core as canonical text (IPv4 dotted quad, IPv6 RFC 5952 lower-case compressed) so they
 * compare with `===` and print as users expect; bytes exist only at the packet boundary.
 */

export type AddressFamily = 'ipv4' | 'ipv6';

/** Byte length of one address of `family` in a VRRP advert (RFC 5798 §5.2.9). */
export function addressLength(family: AddressFamily): 4 | 16 {
  return family === 'ipv4' ? 4 : 16;
}

/** Parses dotted-quad IPv4; returns null when `text` is not one. */
export function parseIpv4(text: string): Uint8Array | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    out[i] = n;
  }
  return out;
}

/** Parses IPv6 text (with `::` and an optional trailing dotted quad); null when invalid. */
export function parseIpv6(text: string): Uint8Array | null {
  const zoneless = text.split('%')[0]!;
  const halves = zoneless.split('::');
  if (halves.length > 2) return null;
  const groups = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    const parts = s.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIpv4(p);
        if (!v4) return null;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  return out;
}

/** Parses an address of the given family; null when invalid. */
export function parseAddress(family: AddressFamily, text: string): Uint8Array | null {
  return family === 'ipv4' ? parseIpv4(text) : parseIpv6(text);
}

/** Like {@link parseAddress} but throws a descriptive error; for config-derived values. */
export function addressBytes(family: AddressFamily, text: string, what = 'address'): Uint8Array {
  const b = parseAddress(family, text);
  if (!b) throw new TypeError(`${what} "${text}" is not a valid ${family === 'ipv4' ? 'IPv4' : 'IPv6'} address`);
  return b;
}

/** Formats 4 or 16 bytes as canonical text (RFC 5952 for IPv6: longest zero run compressed). */
export function formatAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  if (bytes.length !== 16) throw new TypeError(`an IP address has 4 or 16 bytes, got ${bytes.length}`);
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((bytes[i * 2]! << 8) | bytes[i * 2 + 1]!);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
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

/** True for fe80::/10 (RFC 4291 §2.5.6). */
export function isLinkLocalIpv6(text: string): boolean {
  const b = parseIpv6(text);
  return b !== null && b[0] === 0xfe && (b[1]! & 0xc0) === 0x80;
}
