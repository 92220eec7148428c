/**
 * The fuzz suite's oracle: what should become of a packet at a Vigil instance, derived from
 * the bytes on the wire by a second, independent reading of the rules (RFC 5798 / RFC 3768 §7.1,
 * the Linux receive path as measured, and the policy agent/src/vrrp/RECEIVE.md documents). It
 * shares no code with the agent's receive path: if both were wrong the same way the keepalived
 * replay would still disagree.
 *
 * Fates:
 * - 'kernel': Linux never hands the packet to the VRRP socket (martian source, not for this
 *   host, group not joined, source route or malformed option, incomplete fragments, an IPv6
 *   option that says discard). Nothing counts it; the suite checks that nothing moved.
 * - 'counted': the agent sees it and counts it exactly once, as accepted or by drop reason.
 */
import { addressBytes, canonicalAddress, formatAddress, type AddressFamily } from '#agent/vrrp/addr.ts';
import { internetChecksum } from './ip-packets.ts';
import type { Scenario } from './scenario.ts';

export type Verdict =
  | 'accepted' | 'ttl' | 'dst' | 'version' | 'type' | 'length' | 'checksum' | 'vrid' | 'auth' | 'addr_count' | 'addr_list' | 'interval' | 'unicast_src';

export type Fate = { stage: 'kernel'; why: string } | { stage: 'counted'; verdict: Verdict };

export interface OracleTarget {
  scenario: Scenario;
  /** The target's own unicast addresses (IPv4, IPv6 global and link-local). */
  ownAddresses: string[];
  /** Whether the target holds its VIPs (master) while the packet arrives. */
  vipsHeld: boolean;
}

interface Delivered {
  ttl: number;
  src: string;
  dst: string;
  payload: Uint8Array;
}

const fam = (s: Scenario): AddressFamily => (s.family === 4 ? 'ipv4' : 'ipv6');
const canon = (f: AddressFamily, a: string) => canonicalAddress(f, a) ?? a;

function localSet(t: OracleTarget): Set<string> {
  const f = fam(t.scenario);
  return new Set([...t.ownAddresses, ...(t.vipsHeld ? t.scenario.vips : [])].filter((a) => (f === 'ipv4') === !a.includes(':')).map((a) => canon(f, a)));
}

// ---------- IPv4 ----------

interface V4Frag { ttl: number; src: string; dst: string; id: number; more: boolean; offset: number; options: Uint8Array; payload: Uint8Array }

function parseV4(b: Uint8Array): V4Frag | string {
  if (b.length < 20 || b[0]! >> 4 !== 4) return 'not IPv4';
  const ihl = (b[0]! & 0x0f) * 4;
  if (ihl < 20 || ihl > b.length) return 'bad IHL';
  if (internetChecksum(b.subarray(0, ihl)) !== 0) return 'header checksum';
  const total = (b[2]! << 8) | b[3]!;
  if (total !== b.length) return 'total length';
  const ff = (b[6]! << 8) | b[7]!;
  return {
    ttl: b[8]!, src: formatAddress(b.subarray(12, 16)), dst: formatAddress(b.subarray(16, 20)), id: (b[4]! << 8) | b[5]!,
    more: (ff & 0x2000) !== 0, offset: (ff & 0x1fff) * 8, options: b.subarray(20, ihl), payload: b.subarray(ihl),
  };
}

/** RFC 791 options as Linux's ip_options_compile() takes them on receive (source routing off). */
function v4OptionsProblem(o: Uint8Array): string | null {
  for (let i = 0; i < o.length;) {
    const t = o[i]!;
    if (t === 0) break; // End of Option List
    if (t === 1) { i++; continue; } // NOP
    const len = o[i + 1];
    if (len === undefined || len < 2 || i + len > o.length) return 'malformed option';
    if (t === 0x83 || t === 0x89) return 'source route (accept_source_route 0)';
    i += len;
  }
  return null;
}

const v4Multicast = (a: string) => { const x = Number(a.split('.')[0]); return x >= 224 && x <= 239; };

function kernelV4(t: OracleTarget, frags: Uint8Array[]): Delivered | string {
  const parsed: V4Frag[] = [];
  for (const f of frags) {
    const p = parseV4(f);
    if (typeof p === 'string') return p;
    parsed.push(p);
  }
  const first = parsed[0]!;
  const local = localSet(t);
  if (local.has(first.src)) return 'martian source (one of its own addresses)';
  if (first.src.startsWith('127.') || v4Multicast(first.src) || first.src === '255.255.255.255') return 'martian source';
  const group = t.scenario.group;
  if (v4Multicast(first.dst)) {
    // Only the group the VRRP socket joined reaches it (IP_MULTICAST_ALL 0); a unicast
    // instance's socket joined none.
    if (first.dst !== group) return `multicast ${first.dst} not joined by the socket`;
  } else if (!local.has(first.dst) && first.dst !== '192.0.2.255' && first.dst !== '255.255.255.255') {
    return 'not addressed to this host';
  }
  for (const p of parsed) {
    const problem = v4OptionsProblem(p.options);
    if (problem) return problem;
  }
  // Reassembly: contiguous from 0, last one without More Fragments; the header is offset 0's.
  const sorted = [...parsed].sort((a, b) => a.offset - b.offset);
  let next = 0;
  for (const p of sorted) {
    if (p.offset !== next) return 'incomplete fragments';
    if (p.more && p.payload.length % 8 !== 0) return 'bad fragment size';
    next += p.payload.length;
  }
  if (sorted[sorted.length - 1]!.more) return 'incomplete fragments';
  const payload = new Uint8Array(next);
  for (const p of sorted) payload.set(p.payload, p.offset);
  const head = sorted[0]!;
  return { ttl: head.ttl, src: head.src, dst: head.dst, payload };
}

// ---------- IPv6 ----------

function v6OptionsProblem(o: Uint8Array): string | null {
  for (let i = 0; i < o.length;) {
    const t = o[i]!;
    if (t === 0) { i++; continue; } // Pad1
    const len = o[i + 1];
    if (len === undefined || i + 2 + len > o.length) return 'malformed option';
    if (t !== 1 && t !== 5 && t >> 6 !== 0) return `option ${t} says discard (RFC 8200 §4.2)`;
    i += 2 + len;
  }
  return null;
}

function kernelV6(t: OracleTarget, frags: Uint8Array[]): Delivered | string {
  const pieces: Array<{ offset: number; more: boolean; data: Uint8Array }> = [];
  let head: { ttl: number; src: string; dst: string } | undefined;
  let whole: Uint8Array | undefined;
  for (const b of frags) {
    if (b.length < 40 || b[0]! >> 4 !== 6) return 'not IPv6';
    if (((b[4]! << 8) | b[5]!) !== b.length - 40) return 'payload length';
    const h = { ttl: b[7]!, src: formatAddress(b.subarray(8, 24)), dst: formatAddress(b.subarray(24, 40)) };
    head ??= h;
    let nh = b[6]!;
    let off = 40;
    let first = true;
    for (;;) {
      if (nh === 0 || nh === 60) {
        if (nh === 0 && !first) return 'hop-by-hop not first';
        const len = (b[off + 1]! + 1) * 8;
        const problem = v6OptionsProblem(b.subarray(off + 2, off + len));
        if (problem) return problem;
        nh = b[off]!;
        off += len;
      } else if (nh === 44) {
        const fo = (b[off + 2]! << 8) | b[off + 3]!;
        nh = b[off]!;
        pieces.push({ offset: (fo >> 3) * 8, more: (fo & 1) === 1, data: b.subarray(off + 8) });
        off = -1;
        break;
      } else break;
      first = false;
    }
    if (off >= 0) {
      if (nh !== 112) return `next header ${nh}`;
      whole = b.subarray(off);
    }
  }
  const h = head!;
  if (h.src === '::1' || h.src.startsWith('ff')) return 'bad source';
  const local = localSet(t);
  if (h.dst.startsWith('ff')) {
    // The host is in ff02::1 (all nodes) and the VRRP group; an IPv6 raw socket not bound to an
    // address gets every group the host is in (raw_v6_match), whatever IPV6_MULTICAST_ALL says.
    if (h.dst !== 'ff02::1' && h.dst !== t.scenario.group) return `multicast ${h.dst}: host not a member`;
  } else if (!local.has(h.dst)) return 'not addressed to this host';
  if (whole) return { ...h, payload: whole };
  const sorted = pieces.sort((a, b) => a.offset - b.offset);
  let next = 0;
  for (const p of sorted) {
    if (p.offset !== next) return 'incomplete fragments';
    next += p.data.length;
  }
  if (sorted[sorted.length - 1]!.more) return 'incomplete fragments';
  const payload = new Uint8Array(next);
  for (const p of sorted) payload.set(p.data, p.offset);
  return { ...h, payload };
}

// ---------- VRRP, as RECEIVE.md orders the checks ----------

function sum16(parts: Uint8Array[]): number {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { all.set(p, o); o += p.length; }
  return internetChecksum(all);
}

function vrrpVerdict(s: Scenario, d: Delivered): Verdict {
  const f = fam(s);
  const b = d.payload;
  // Socket pool: routed by VRID.
  if (b.length < 2) return 'length';
  if (b[1] !== s.vrid) return 'vrid';
  // Envelope.
  let min = 255;
  let max = 255;
  if (s.unicastPeers) {
    const peer = s.unicastPeers.find((p) => canon(f, p.address) === canon(f, d.src));
    if (!peer) return 'unicast_src';
    if (peer.minTtl !== undefined || peer.maxTtl !== undefined) {
      min = peer.minTtl ?? 0;
      max = peer.maxTtl ?? 255;
    }
  }
  if (d.ttl < min || d.ttl > max) return 'ttl';
  const multicastDst = f === 'ipv4' ? v4Multicast(d.dst) : d.dst.startsWith('ff');
  // Multicast instance: the group only. Unicast: the address the peers send to (unicast_src_ip).
  if (s.unicastPeers ? multicastDst || canon(f, d.dst) !== canon(f, s.unicastAddress!) : canon(f, d.dst) !== canon(f, s.group!)) return 'dst';
  // Well formed.
  if (b.length < 8) return 'length';
  const version = b[0]! >> 4;
  if (version !== 2 && version !== 3) return 'version';
  if (version === 2 && f === 'ipv6') return 'version';
  if ((b[0]! & 0x0f) !== 1) return 'type';
  const alen = f === 'ipv4' ? 4 : 16;
  const count = b[3]!;
  if (b.length !== 8 + count * alen + (version === 2 ? 8 : 0)) return 'length';
  if (version === 2) {
    if (internetChecksum(b) !== 0) return 'checksum';
  } else {
    const src = addressBytes(f, d.src);
    const dst = addressBytes(f, d.dst);
    const len = b.length;
    const ph = f === 'ipv4'
      ? Uint8Array.of(...src, ...dst, 0, 112, len >> 8, len & 0xff)
      : Uint8Array.of(...src, ...dst, 0, 0, len >> 8, len & 0xff, 0, 0, 0, 112);
    if (sum16([ph, b]) !== 0) return 'checksum';
  }
  if (version === 2 && b[4]! > 2) return 'auth';
  // Ours.
  if (version !== s.version) return 'version';
  if (s.version === 2) {
    const want = s.authPass ? 1 : 0;
    if (b[4] !== want) return 'auth';
    if (s.authPass) {
      const key = new Uint8Array(8);
      key.set(new TextEncoder().encode(s.authPass).subarray(0, 8));
      const got = b.subarray(8 + count * alen, 16 + count * alen);
      if (key.some((x, i) => got[i] !== x)) return 'auth';
    }
  }
  if (count !== s.vips.length) return 'addr_count';
  const got = new Set<string>();
  for (let i = 0; i < count; i++) got.add(formatAddress(b.subarray(8 + i * alen, 8 + (i + 1) * alen)));
  const want = new Set(s.vips.map((v) => canon(f, v)));
  if (got.size !== want.size || [...want].some((v) => !got.has(v))) return 'addr_list';
  if (version === 2 && b[5]! * 1000 !== s.advertIntervalMs) return 'interval';
  if (version === 3 && (((b[4]! & 0x0f) << 8) | b[5]!) === 0) return 'interval';
  return 'accepted';
}

/** The fate of one packet (its fragments) at the target. */
export function fateOf(t: OracleTarget, ip: Uint8Array[]): Fate {
  const d = t.scenario.family === 4 ? kernelV4(t, ip) : kernelV6(t, ip);
  if (typeof d === 'string') return { stage: 'kernel', why: d };
  return { stage: 'counted', verdict: vrrpVerdict(t.scenario, d) };
}
