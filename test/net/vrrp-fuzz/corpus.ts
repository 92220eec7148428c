/**
 * The seeded fuzz corpus: mutations of a valid advert, as whole IP packets in Ethernet frames.
 *
 * Every packet starts as the advert that would change the target's state if accepted (at a
 * master: priority 254, so it yields; at a backup: priority 0, so it takes over) and gets one
 * to three mutations from the catalogue below: VRRP fields (bit flips, truncation/extension,
 * version/type, VRID, priority 0/255, checksums right and wrong, address count and list,
 * interval, auth type and key) and the envelope (TTL/hop limit, IPv4 options, IPv6 extension
 * headers, fragments, source = VIP or the target's own address, group vs unicast vs broadcast
 * destination). Mutations are recorded as tags; what the packet *means* is the oracle's to say
 * from its bytes, not the generator's.
 *
 * The VRRP bytes are built here, not by agent/src/vrrp/packet.ts: the encoder refuses the
 * values a fuzzer needs (version 4, count ≠ list, interval 0, unknown auth types).
 */
import { addressBytes } from '#agent/vrrp/addr.ts';
import type { Frame } from './attacker-child.ts';
import { ethernetDestination, internetChecksum, ipv4Fragments, ipv4Packet, ipv6Fragments, ipv6Packet, VRRP_PROTO, type Ipv6Extension } from './ip-packets.ts';
import { FUZZER, OFFLINK, ONLINK_OTHER, RANGED_PEER, TARGET, type Scenario } from './scenario.ts';

export type Phase = 'master' | 'backup';

export interface FuzzContext {
  scenario: Scenario;
  phase: Phase;
  targetMac: string;
  targetLinkLocal: string;
  fuzzerLinkLocal: string;
}

export interface FuzzPacket {
  id: number;
  tags: string[];
  family: 4 | 6;
  frames: Frame[];
  /** The IP packets (fragments) as sent, for the oracle. */
  ip: Uint8Array[];
  /** The VRRP message inside them (for reports). */
  vrrp: Uint8Array;
}

/** mulberry32: small, seedable, and the same sequence on every machine. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

/** Everything a packet is made of before it becomes bytes. */
interface Plan {
  layoutVersion: 2 | 3;
  versionNibble: number;
  type: number;
  vrid: number;
  priority: number;
  count: number | undefined;
  addresses: string[];
  extraAddressBytes: Uint8Array[];
  v2AuthType: number;
  authData: Uint8Array;
  intervalField: number;
  v3Reserved: number;
  checksum: 'right' | 'wrong' | 'plain' | 'pseudo-group';
  /** Byte edits: before the checksum (covered by it) or after (breaking it). */
  edits: Array<{ when: 'before' | 'after'; edit: (b: Uint8Array) => Uint8Array }>;
  src: string;
  dst: string;
  ttl: number;
  mac: string | undefined;
  options?: Uint8Array;
  extensions?: Ipv6Extension[];
  fragment?: { chunk: number; incomplete: boolean };
}

const passData = (pass: string) => {
  const out = new Uint8Array(8);
  out.set(new TextEncoder().encode(pass).subarray(0, 8));
  return out;
};

function basePlan(ctx: FuzzContext, priority: number): Plan {
  const s = ctx.scenario;
  const v6 = s.family === 6;
  return {
    layoutVersion: s.version,
    versionNibble: s.version,
    type: 1,
    vrid: s.vrid,
    priority,
    count: undefined,
    addresses: [...s.vips],
    extraAddressBytes: [],
    v2AuthType: s.authPass ? 1 : 0,
    authData: s.authPass ? passData(s.authPass) : new Uint8Array(8),
    intervalField: s.version === 2 ? s.advertIntervalMs / 1000 : s.advertIntervalMs / 10,
    v3Reserved: 0,
    checksum: 'right',
    edits: [],
    src: s.unicastPeers ? FUZZER.ipv4 : v6 ? ctx.fuzzerLinkLocal : FUZZER.ipv4,
    dst: s.group ?? TARGET.ipv4,
    ttl: 255,
    mac: undefined,
  };
}

function vrrpBytes(p: Plan, family: 4 | 6): Uint8Array {
  const alen = family === 4 ? 4 : 16;
  const addrs = [...p.addresses.map((a) => addressBytes(family === 4 ? 'ipv4' : 'ipv6', a)), ...p.extraAddressBytes];
  const body = 8 + addrs.length * alen + (p.layoutVersion === 2 ? 8 : 0);
  const b = new Uint8Array(body);
  b[0] = ((p.versionNibble & 0x0f) << 4) | (p.type & 0x0f);
  b[1] = p.vrid;
  b[2] = p.priority;
  b[3] = p.count ?? addrs.length;
  if (p.layoutVersion === 2) {
    b[4] = p.v2AuthType;
    b[5] = p.intervalField & 0xff;
  } else {
    b[4] = ((p.v3Reserved & 0x0f) << 4) | ((p.intervalField >> 8) & 0x0f);
    b[5] = p.intervalField & 0xff;
  }
  addrs.forEach((a, i) => b.set(a, 8 + i * alen));
  if (p.layoutVersion === 2) b.set(p.authData.subarray(0, 8), 8 + addrs.length * alen);
  return b;
}

function pseudo(family: 4 | 6, src: string, dst: string, len: number): Uint8Array {
  if (family === 4) {
    const ph = new Uint8Array(12);
    ph.set(addressBytes('ipv4', src), 0);
    ph.set(addressBytes('ipv4', dst), 4);
    ph[9] = VRRP_PROTO;
    ph[10] = len >> 8;
    ph[11] = len & 0xff;
    return ph;
  }
  const ph = new Uint8Array(40);
  ph.set(addressBytes('ipv6', src), 0);
  ph.set(addressBytes('ipv6', dst), 16);
  ph[34] = len >> 8;
  ph[35] = len & 0xff;
  ph[39] = VRRP_PROTO;
  return ph;
}

/** The checksum `mode` over `msg` (checksum field zero) for a packet from `src` to `dst`. */
export function vrrpChecksum(family: 4 | 6, layoutVersion: 2 | 3, msg: Uint8Array, src: string, dst: string, mode: Plan['checksum'], group: string): number {
  const withPseudo = (d: string) => {
    const ph = pseudo(family, src, d, msg.length);
    const all = new Uint8Array(ph.length + msg.length);
    all.set(ph);
    all.set(msg, ph.length);
    return internetChecksum(all);
  };
  if (mode === 'plain' || (layoutVersion === 2 && family === 4)) return internetChecksum(msg);
  if (mode === 'pseudo-group') return withPseudo(group);
  return withPseudo(dst);
}

function build(ctx: FuzzContext, p: Plan, id: number, tags: string[], r: Rand): FuzzPacket {
  const s = ctx.scenario;
  const family = s.family;
  let msg = vrrpBytes(p, family);
  for (const e of p.edits) if (e.when === 'before') msg = e.edit(msg);
  if (msg.length >= 8) {
    msg[6] = 0;
    msg[7] = 0;
    let sum = vrrpChecksum(family, p.layoutVersion, msg, p.src, p.dst, p.checksum === 'wrong' ? 'right' : p.checksum, s.group ?? (family === 4 ? '224.0.0.18' : 'ff02::12'));
    if (p.checksum === 'wrong') sum ^= int(r, 1, 0xffff);
    msg[6] = sum >> 8;
    msg[7] = sum & 0xff;
  }
  for (const e of p.edits) if (e.when === 'after') msg = e.edit(msg);
  const mac = p.mac ?? ethernetDestination(family === 4 ? 'ipv4' : 'ipv6', p.dst, ctx.targetMac);
  let ip: Uint8Array[];
  if (family === 4) {
    const o = { src: p.src, dst: p.dst, ttl: p.ttl, options: p.options, id: 0x4000 + id };
    ip = p.fragment ? ipv4Fragments(o, msg, p.fragment.chunk) : [ipv4Packet(o, msg)];
  } else {
    const o = { src: p.src, dst: p.dst, hopLimit: p.ttl, extensions: p.extensions };
    ip = p.fragment ? ipv6Fragments(o, msg, p.fragment.chunk, 0x7000 + id) : [ipv6Packet(o, msg)];
  }
  if (p.fragment?.incomplete && ip.length > 1) ip = ip.slice(0, -1);
  return { id, tags, family, ip, vrrp: msg, frames: ip.map((b) => ({ family, mac, hex: Buffer.from(b).toString('hex') })) };
}

interface Mutation {
  name: string;
  weight: number;
  applies?: (ctx: FuzzContext) => boolean;
  /** Changes the plan; returns the tag (name plus detail). */
  apply: (p: Plan, ctx: FuzzContext, r: Rand) => string;
}

const v4 = (ctx: FuzzContext) => ctx.scenario.family === 4;
const v6 = (ctx: FuzzContext) => ctx.scenario.family === 6;
const multicastInstance = (ctx: FuzzContext) => ctx.scenario.group !== undefined;
const unicastInstance = (ctx: FuzzContext) => ctx.scenario.unicastPeers !== undefined;
const recompute = (p: Plan) => { if (p.checksum === 'wrong') p.checksum = 'right'; };

const MUTATIONS: Mutation[] = [
  // --- envelope ---
  { name: 'ttl', weight: 10, apply: (p, _c, r) => { p.ttl = pick(r, [254, 253, 128, 64, 2, 1, 0, int(r, 0, 254)]); return `ttl=${p.ttl}`; } },
  {
    name: 'dst-own', weight: 5, apply: (p, c, r) => {
      p.dst = v4(c) ? TARGET.ipv4 : pick(r, [TARGET.ipv6, c.targetLinkLocal]);
      return `dst-own=${p.dst}`;
    },
  },
  { name: 'dst-bcast', weight: 3, applies: v4, apply: (p, _c, r) => { p.dst = pick(r, ['192.0.2.255', '255.255.255.255']); return `dst-bcast=${p.dst}`; } },
  { name: 'dst-vip', weight: 3, apply: (p, c, r) => { p.dst = pick(r, c.scenario.vips.filter((v) => !v.startsWith('fe80'))); p.mac = c.targetMac; return `dst-vip=${p.dst}`; } },
  { name: 'dst-other-group', weight: 3, applies: multicastInstance, apply: (p, c, r) => { p.dst = pick(r, v4(c) ? ['224.0.0.1', '224.0.0.19'] : ['ff02::1', 'ff02::13']); return `dst-other-group=${p.dst}`; } },
  { name: 'dst-group', weight: 4, applies: unicastInstance, apply: (p) => { p.dst = '224.0.0.18'; return 'dst-group'; } },
  { name: 'src-vip', weight: 3, apply: (p, c, r) => { p.src = pick(r, c.scenario.vips); return `src-vip=${p.src}`; } },
  { name: 'src-own', weight: 3, apply: (p, c, r) => { p.src = v4(c) ? TARGET.ipv4 : pick(r, [c.targetLinkLocal, TARGET.ipv6]); return `src-own=${p.src}`; } },
  { name: 'src-offlink', weight: 3, apply: (p, c) => { p.src = v4(c) ? OFFLINK.ipv4 : OFFLINK.ipv6; return 'src-offlink'; } },
  { name: 'src-onlink-other', weight: 3, apply: (p, c) => { p.src = v4(c) ? ONLINK_OTHER.ipv4 : ONLINK_OTHER.ipv6; return 'src-onlink-other'; } },
  { name: 'src-ranged-peer', weight: 4, applies: unicastInstance, apply: (p, _c, r) => { p.src = RANGED_PEER; p.ttl = pick(r, [60, 62, 64, 59, 65, 255]); return `src-ranged-peer ttl=${p.ttl}`; } },
  {
    name: 'ipv4-options', weight: 4, applies: v4, apply: (p, _c, r) => {
      const [name, bytes] = pick(r, [
        ['nop', Uint8Array.of(1, 1, 1, 1)],
        ['router-alert', Uint8Array.of(0x94, 4, 0, 0)],
        ['timestamp', Uint8Array.of(0x44, 12, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0)],
        ['lsrr', Uint8Array.of(0x83, 7, 4, 192, 0, 2, 3, 1)],
        ['bad-length', Uint8Array.of(0x94, 9, 0, 0)],
        ['unknown', Uint8Array.of(0x9e, 4, 0, 0)],
      ] as const);
      p.options = bytes;
      return `ipv4-options=${name}`;
    },
  },
  {
    name: 'ipv6-ext', weight: 4, applies: v6, apply: (p, _c, r) => {
      const [name, ext] = pick(r, [
        ['hbh-router-alert', [{ type: 0, options: Uint8Array.of(5, 2, 0, 0) }]],
        ['dstopt-padn', [{ type: 60, options: Uint8Array.of(1, 2, 0, 0) }]],
        ['dstopt-unknown-skip', [{ type: 60, options: Uint8Array.of(0x1e, 2, 0, 0) }]],
        ['dstopt-unknown-discard', [{ type: 60, options: Uint8Array.of(0x5e, 2, 0, 0) }]],
        ['hbh+dstopt', [{ type: 0, options: Uint8Array.of(1, 0) }, { type: 60, options: Uint8Array.of(1, 0) }]],
      ] as const);
      p.extensions = ext as unknown as Ipv6Extension[];
      return `ipv6-ext=${name}`;
    },
  },
  {
    name: 'fragment', weight: 4, apply: (p, _c, r) => {
      p.fragment = { chunk: pick(r, [8, 16]), incomplete: r() < 0.35 };
      return `fragment=${p.fragment.chunk}${p.fragment.incomplete ? ' incomplete' : ''}`;
    },
  },
  // --- VRRP ---
  {
    name: 'bitflip', weight: 8, apply: (p, _c, r) => {
      const fixed = r() < 0.5;
      const seed = r();
      p.edits.push({ when: fixed ? 'before' : 'after', edit: (b) => { const c = Uint8Array.from(b); const bit = Math.floor(seed * c.length * 8); c[bit >> 3]! ^= 1 << (bit & 7); return c; } });
      return `bitflip${fixed ? ' checksum-fixed' : ''}`;
    },
  },
  {
    name: 'truncate', weight: 5, apply: (p, _c, r) => {
      const fixed = r() < 0.5;
      const k = int(r, 1, 12);
      p.edits.push({ when: fixed ? 'before' : 'after', edit: (b) => b.slice(0, Math.max(0, b.length - k)) });
      return `truncate=${k}${fixed ? ' checksum-fixed' : ''}`;
    },
  },
  {
    name: 'extend', weight: 5, apply: (p, _c, r) => {
      const k = int(r, 1, 8);
      const tail = Uint8Array.from({ length: k }, () => int(r, 0, 255));
      p.edits.push({ when: 'before', edit: (b) => { const c = new Uint8Array(b.length + k); c.set(b); c.set(tail, b.length); return c; } });
      return `extend=${k}`;
    },
  },
  { name: 'version', weight: 4, apply: (p, _c, r) => { p.versionNibble = pick(r, [0, 1, 4, 5, 7]); recompute(p); return `version=${p.versionNibble}`; } },
  {
    name: 'other-version', weight: 3, apply: (p, c) => {
      const other = p.layoutVersion === 2 ? 3 : 2;
      p.layoutVersion = other;
      p.versionNibble = other;
      p.intervalField = other === 2 ? 1 : 100;
      if (other === 2) { p.v2AuthType = c.scenario.authPass ? 1 : 0; p.authData = c.scenario.authPass ? passData(c.scenario.authPass) : new Uint8Array(8); }
      recompute(p);
      return `other-version=${other}`;
    },
  },
  { name: 'type', weight: 3, apply: (p, _c, r) => { p.type = pick(r, [0, 2, 3, 15]); return `type=${p.type}`; } },
  { name: 'vrid', weight: 4, apply: (p, c, r) => { do p.vrid = int(r, 0, 255); while (p.vrid === c.scenario.vrid); return `vrid=${p.vrid}`; } },
  { name: 'priority', weight: 6, apply: (p, c, r) => { p.priority = pick(r, [0, 255, c.scenario.priority, int(r, 1, 254)]); return `priority=${p.priority}`; } },
  {
    name: 'checksum', weight: 6, apply: (p, c, r) => {
      const choices: Plan['checksum'][] = ['wrong'];
      if (c.scenario.version === 3 && c.scenario.family === 4) choices.push('plain');
      if (unicastInstance(c)) choices.push('pseudo-group');
      p.checksum = pick(r, choices);
      return `checksum=${p.checksum}`;
    },
  },
  {
    name: 'count', weight: 6, apply: (p, c, r) => {
      const kind = pick(r, ['count+1', 'count-1', 'add-address', 'drop-address', 'duplicate', 'foreign', 'permute', 'count=0']);
      const foreign = c.scenario.family === 4 ? '192.0.2.199' : '2001:db8:0:1::199';
      switch (kind) {
        case 'count+1': p.count = p.addresses.length + 1; break;
        case 'count-1': p.count = p.addresses.length - 1; break;
        case 'count=0': p.count = 0; p.addresses = []; break;
        case 'add-address': p.addresses.push(foreign); break;
        case 'drop-address': p.addresses.pop(); break;
        case 'duplicate': p.addresses = [p.addresses[0]!, p.addresses[0]!]; break;
        case 'foreign': p.addresses[p.addresses.length - 1] = foreign; break;
        case 'permute': p.addresses.reverse(); break;
      }
      return `addresses=${kind}`;
    },
  },
  {
    name: 'interval', weight: 5, apply: (p, _c, r) => {
      if (p.layoutVersion === 2) p.intervalField = pick(r, [0, 2, 3, 255]);
      else if (r() < 0.3) { p.v3Reserved = int(r, 1, 15); return `interval reserved=${p.v3Reserved}`; }
      else p.intervalField = pick(r, [0, 1, 4095, 50, int(r, 0, 4095)]);
      return `interval=${p.intervalField}`;
    },
  },
  { name: 'auth-type', weight: 4, applies: (c) => c.scenario.version === 2, apply: (p, _c, r) => { p.v2AuthType = pick(r, [0, 2, 3, 255]); return `auth-type=${p.v2AuthType}`; } },
  {
    name: 'auth-key', weight: 4, applies: (c) => c.scenario.version === 2, apply: (p, _c, r) => {
      const kind = pick(r, ['wrong', 'zero', 'case', 'one-byte']);
      const d = Uint8Array.from(p.authData);
      if (kind === 'wrong') d.set(new TextEncoder().encode('guessed!'));
      else if (kind === 'zero') d.fill(0);
      else if (kind === 'case') d[0] = d[0]! ^ 0x20;
      else d[7] = d[7]! ^ 0x01;
      p.authData = d;
      return `auth-key=${kind}`;
    },
  },
];

/** The advert that would change the target's state if accepted, for this phase. */
export const basePriority = (phase: Phase) => (phase === 'master' ? 254 : 0);

/**
 * Issue 17's attacks, first in every corpus: adverts that an off-link sender (or one that is
 * on-link but not talking to the group) could use to move a VIP, each of which Vigil 0.x
 * accepted. The rest of the corpus explores around them.
 */
function issue17(ctx: FuzzContext): Array<{ tag: string; change: (p: Plan) => void }> {
  const s = ctx.scenario;
  const own = s.family === 4 ? TARGET.ipv4 : TARGET.ipv6;
  if (s.unicastPeers) {
    return [
      { tag: 'issue17: listed peer, TTL 254', change: (p) => { p.ttl = 254; } },
      { tag: 'issue17: listed peer, TTL 128', change: (p) => { p.ttl = 128; } },
      { tag: 'issue17: unlisted off-link source, TTL 255', change: (p) => { p.src = OFFLINK.ipv4; } },
      { tag: 'issue17: listed peer to the broadcast address', change: (p) => { p.dst = '192.0.2.255'; } },
    ];
  }
  return [
    { tag: 'issue17: to its own address, TTL 254', change: (p) => { p.dst = own; p.ttl = 254; } },
    { tag: 'issue17: to its own address, TTL 128', change: (p) => { p.dst = own; p.ttl = 128; } },
    { tag: 'issue17: to its own address, TTL 255', change: (p) => { p.dst = own; } },
    { tag: 'issue17: off-link source to its own address', change: (p) => { p.dst = own; p.src = s.family === 4 ? OFFLINK.ipv4 : OFFLINK.ipv6; p.ttl = 250; } },
    { tag: 'issue17: to a VIP, TTL 64', change: (p) => { p.dst = s.vips.find((v) => !v.startsWith('fe80'))!; p.mac = ctx.targetMac; p.ttl = 64; } },
    ...(s.family === 4 ? [{ tag: 'issue17: to the broadcast address, TTL 254', change: (p: Plan) => { p.dst = '192.0.2.255'; p.ttl = 254; } }] : []),
  ];
}

/**
 * `n` packets for `ctx` from `seed`: issue 17's attacks, then random ones. About one in twelve
 * of those is left valid (every mutation needs its baseline); the rest carry one to three
 * mutations.
 */
export function generateCorpus(ctx: FuzzContext, seed: number, n: number): FuzzPacket[] {
  const r = rng(seed);
  const usable = MUTATIONS.filter((m) => !m.applies || m.applies(ctx));
  const total = usable.reduce((s, m) => s + m.weight, 0);
  const draw = () => {
    let x = r() * total;
    for (const m of usable) if ((x -= m.weight) < 0) return m;
    return usable[usable.length - 1]!;
  };
  const out: FuzzPacket[] = [];
  const fixed = issue17(ctx);
  for (let id = 0; id < Math.min(n, fixed.length); id++) {
    const p = basePlan(ctx, basePriority(ctx.phase));
    fixed[id]!.change(p);
    out.push(build(ctx, p, id, [fixed[id]!.tag], r));
  }
  for (let id = out.length; id < n; id++) {
    const p = basePlan(ctx, basePriority(ctx.phase));
    const k = r() < 1 / 12 ? 0 : r() < 0.6 ? 1 : r() < 0.75 ? 2 : 3;
    const tags: string[] = [];
    for (let i = 0; i < k; i++) tags.push(draw().apply(p, ctx, r));
    out.push(build(ctx, p, id, tags.length ? tags : ['valid'], r));
  }
  return out;
}

export interface ValidOptions {
  priority: number;
  /** 'keeper' (default): the scenario's keeper address; 'base': the corpus's own source. */
  from?: 'keeper' | 'base';
  intervalMs?: number;
}

/** A valid advert (keeper, restorer, probes). */
export function validAdvert(ctx: FuzzContext, o: ValidOptions, id = -1, tag = 'control'): FuzzPacket {
  const s = ctx.scenario;
  const p = basePlan(ctx, o.priority);
  if ((o.from ?? 'keeper') === 'keeper') p.src = s.keeper;
  if (o.intervalMs !== undefined) p.intervalField = s.version === 2 ? o.intervalMs / 1000 : o.intervalMs / 10;
  return build(ctx, p, id, [tag], rng(1));
}

/**
 * keepalived's log delimiter: a well-formed advert for the instance with version 15, which
 * keepalived 2.2.7 rejects with one line ("wrong version. Received 15 and expect N") after its
 * length and TTL checks pass. The corpus never uses version 15.
 */
export function marker(ctx: FuzzContext): FuzzPacket {
  const p = basePlan(ctx, 1);
  // keepalived sizes an IPv4 packet by its version nibble (auth data only for 2): without the
  // v2 auth bytes, a version-15 packet passes its length check at a v2 instance too.
  p.layoutVersion = 3;
  p.versionNibble = 15;
  return build(ctx, p, -2, ['marker'], rng(2));
}
