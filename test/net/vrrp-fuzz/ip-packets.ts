/**
 * Whole IPv4 / IPv6 packets around a VRRP message, built byte by byte so the fuzz suite controls
 * every header field the receive path depends on: TTL / hop limit, source, destination, IPv4
 * options, IPv6 extension headers, and fragmentation. The Ethernet header is the kernel's
 * (AF_PACKET SOCK_DGRAM with the destination MAC we choose), so a frame can carry a unicast or
 * broadcast IP destination to any host on the segment.
 *
 * Test support only: the agent never builds IP headers (the kernel does, IP_HDRINCL is off).
 */
import { addressBytes, type AddressFamily } from '#agent/vrrp/addr.ts';

export const VRRP_PROTO = 112;

export interface Ipv4Options {
  src: string;
  dst: string;
  ttl: number;
  /** Raw option bytes (padded with EOL to a multiple of 4). */
  options?: Uint8Array;
  /** Identification, for fragments. */
  id?: number;
}

export interface Ipv6Options {
  src: string;
  dst: string;
  hopLimit: number;
  /** Extension headers before the VRRP message, outermost first (RFC 8200 §4.1 order). */
  extensions?: Ipv6Extension[];
}

/** A Hop-by-Hop (0) or Destination Options (60) header carrying `options` (TLVs, padded). */
export interface Ipv6Extension {
  type: 0 | 60;
  options: Uint8Array;
}

const u16 = (b: Uint8Array, off: number, v: number) => {
  b[off] = (v >> 8) & 0xff;
  b[off + 1] = v & 0xff;
};

/** RFC 1071 checksum of `b` (header checksum field zeroed by the caller). */
export function internetChecksum(b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i + 1 < b.length; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  if (b.length % 2) sum += b[b.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function padOptions(options: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(options.length / 4) * 4); // pad: 0 = End of Option List
  out.set(options);
  return out;
}

/** One IPv4 datagram (or fragment when `frag` is given) carrying `payload`. */
export function ipv4Packet(o: Ipv4Options, payload: Uint8Array, frag?: { offset8: number; more: boolean }): Uint8Array {
  const opts = padOptions(o.options ?? new Uint8Array(0));
  if (opts.length > 40) throw new RangeError('IPv4 options are at most 40 bytes');
  const ihl = 20 + opts.length;
  const b = new Uint8Array(ihl + payload.length);
  b[0] = 0x40 | (ihl / 4);
  b[1] = 0xc0; // Internet Control, as keepalived and Vigil send
  u16(b, 2, b.length);
  u16(b, 4, o.id ?? 0);
  u16(b, 6, frag ? (frag.more ? 0x2000 : 0) | frag.offset8 : 0);
  b[8] = o.ttl;
  b[9] = VRRP_PROTO;
  b.set(addressBytes('ipv4', o.src), 12);
  b.set(addressBytes('ipv4', o.dst), 16);
  b.set(opts, 20);
  u16(b, 10, internetChecksum(b.subarray(0, ihl)));
  b.set(payload, ihl);
  return b;
}

/** `payload` split into IPv4 fragments of at most `chunk` bytes (a multiple of 8). */
export function ipv4Fragments(o: Ipv4Options, payload: Uint8Array, chunk: number): Uint8Array[] {
  if (chunk % 8 !== 0 || chunk <= 0) throw new RangeError('fragment size must be a positive multiple of 8');
  const out: Uint8Array[] = [];
  // An empty payload still makes one (atomic) fragment.
  for (let off = 0; off < payload.length || off === 0; off += chunk) {
    const more = off + chunk < payload.length;
    // Options are copied only when their copy bit is set (RFC 791); the fuzz options that reach
    // fragments are NOP/RA, so the first fragment alone carries them.
    const opt = off === 0 ? o : { ...o, options: undefined };
    out.push(ipv4Packet(opt, payload.subarray(off, off + chunk), { offset8: off / 8, more }));
  }
  return out;
}

/** One IPv6 packet: fixed header, extension headers, then the VRRP message (or a fragment). */
export function ipv6Packet(o: Ipv6Options, payload: Uint8Array, frag?: { offset8: number; more: boolean; id: number }): Uint8Array {
  const ext = o.extensions ?? [];
  const chain: number[] = [...ext.map((e) => e.type), ...(frag ? [44] : []), VRRP_PROTO];
  const parts: Uint8Array[] = [];
  ext.forEach((e, i) => {
    // 2 bytes of next header + length, then options padded to a multiple of 8 with PadN.
    const body = 2 + e.options.length;
    const len = Math.ceil(body / 8) * 8;
    const h = new Uint8Array(len);
    h[0] = chain[i + 1]!;
    h[1] = len / 8 - 1;
    h.set(e.options, 2);
    const pad = len - body;
    if (pad === 1) h[body] = 0; // Pad1
    else if (pad > 1) {
      h[body] = 1; // PadN
      h[body + 1] = pad - 2;
    }
    parts.push(h);
  });
  if (frag) {
    const f = new Uint8Array(8);
    f[0] = VRRP_PROTO;
    u16(f, 2, (frag.offset8 << 3) | (frag.more ? 1 : 0));
    f[4] = (frag.id >>> 24) & 0xff;
    f[5] = (frag.id >>> 16) & 0xff;
    f[6] = (frag.id >>> 8) & 0xff;
    f[7] = frag.id & 0xff;
    parts.push(f);
  }
  parts.push(payload);
  const plen = parts.reduce((n, p) => n + p.length, 0);
  const b = new Uint8Array(40 + plen);
  b[0] = 0x60;
  u16(b, 4, plen);
  b[6] = chain[0]!;
  b[7] = o.hopLimit;
  b.set(addressBytes('ipv6', o.src), 8);
  b.set(addressBytes('ipv6', o.dst), 24);
  let off = 40;
  for (const p of parts) {
    b.set(p, off);
    off += p.length;
  }
  return b;
}

/** `payload` split into IPv6 fragments of at most `chunk` bytes (a multiple of 8). */
export function ipv6Fragments(o: Ipv6Options, payload: Uint8Array, chunk: number, id: number): Uint8Array[] {
  if (chunk % 8 !== 0 || chunk <= 0) throw new RangeError('fragment size must be a positive multiple of 8');
  const out: Uint8Array[] = [];
  for (let off = 0; off < payload.length || off === 0; off += chunk) {
    out.push(ipv6Packet(o, payload.subarray(off, off + chunk), { offset8: off / 8, more: off + chunk < payload.length, id }));
  }
  return out;
}

/** Ethernet destination for an IP destination: RFC 1112 / RFC 2464 multicast maps, else `unicastMac`. */
export function ethernetDestination(family: AddressFamily, dst: string, unicastMac: string): string {
  const b = addressBytes(family, dst);
  const hex = (n: number) => n.toString(16).padStart(2, '0');
  if (family === 'ipv4') {
    if (b[0]! >= 224 && b[0]! <= 239) return `01:00:5e:${hex(b[1]! & 0x7f)}:${hex(b[2]!)}:${hex(b[3]!)}`;
    if (b.every((x) => x === 255) || b[3] === 255) return 'ff:ff:ff:ff:ff:ff'; // limited / a /24's directed broadcast
    return unicastMac;
  }
  if (b[0] === 0xff) return `33:33:${hex(b[12]!)}:${hex(b[13]!)}:${hex(b[14]!)}:${hex(b[15]!)}`;
  return unicastMac;
}
