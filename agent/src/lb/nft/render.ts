/**
 * VirtualServerTable -> one nftables transaction that rewrites Vigil's table. Pure.
 *
 * One table, `table inet vigil_lb` (inet: IPv4 and IPv6 in one place; NAT in inet needs Linux
 * 5.2+), fed to one `nft -f`, which the kernel commits as ONE transaction. Nothing outside the
 * table is named. Layout:
 *
 *   prerouting (nat, dstnat) + output (nat, -100, for clients on the director itself)
 *     -> dispatch: one rule per service, fwmark services first, then VIP:port, then VIP with
 *        port 0: the order of ip_vs_service_find (fwmark, exact port, port zero)
 *   s_<service>: persistence lookups, then the pick (numgen/jhash rules, below)
 *   d_<service>__<destination>: remember the client (persistence), count, DNAT
 *   input (filter): services with no live destination reject with ICMP port unreachable,
 *     as ip_vs_leave() does. (reject is not allowed in nat chains; the VIP is a local address,
 *     so un-DNATed packets to it reach input.)
 *
 * Atomic for every new flow, which takes two rules about the kernel (test/net/nft-lb.test.ts
 * found both, as refused connections while the table was rewritten under load):
 * - Base chains are created once and never replaced. `add table; delete table; table {...}` is
 *   one transaction too, but it registers the new nat chain as a second hook next to the old
 *   one; a first packet that runs one hook just before the generation flips and the other just
 *   after sees no rules in either and gets a null NAT binding. So each transaction flushes the
 *   base chains, flushes and deletes every other chain the table holds (`existing`), and writes
 *   the new ones.
 * - No anonymous sets or maps (vmaps) on the packet path. A chain walk reads the generation
 *   once, but a set lookup reads it again, and a deleted rule's anonymous map has its elements
 *   deactivated for the next generation: an old-generation walk that looks up after the flip
 *   finds nothing. Plain rules (cmp, range, numgen, jhash) are all judged by the walk's
 *   generation, so a packet walking prerouting -> dispatch -> s_ -> d_ sees the old ruleset
 *   or the new one. The cost: dispatch is one rule per service, a linear walk for each NEW flow
 *   (fine for hundreds of services, slow for thousands).
 *
 * Picks (support.ts says which scheduler gets which), with weights divided by their gcd and
 * weight 0 destinations left out (IPVS schedules nothing new to them; existing flows keep their
 * conntrack NAT binding, like IPVS connections):
 * - weighted random: rule i `numgen random mod R_i < share_i goto d_i`, R_i the shares not yet
 *   passed, the last a plain goto: P(i) = share_i / total (each rule draws anew).
 * - rotation (rr): rule i `numgen inc mod (N - i) 0 goto d_i`: each rule has its own counter and
 *   sees only the flows the rules before it passed, which makes an exact round robin.
 * - hashes (sh, dh): `jhash ip saddr mod TOTAL <range> goto d_i`, ranges sized by share.
 *
 * Persistence: one dynamic timeout set per (service, destination) holding the clients (source
 * address masked to the granularity) last sent there; the service chain looks the client up in
 * each destination's set first, and the destination chain `update`s its set, which also restarts
 * the timeout. So the timeout counts from the client's last NEW connection (conntrack sends only
 * a flow's first packet through nat chains), where IPVS counts from the end of the last
 * connection: a single connection longer than the timeout loses its stickiness for the next
 * one. Why sets and not a `saddr : backend` map: a map filled from the packet path cannot
 * hold verdicts, and the per-destination sets need no scratch register (mark, ct mark) that
 * other rules may own. Why not stateless `jhash saddr`: any pool change would remap nearly
 * every client. A set's name carries everything that defines it (granularity, timeout, size),
 * so a rewrite keeps the sets of destinations that stay live, with their clients, untouched
 * (`add set` of an identical set is a no-op); the sets of destinations that left or went to
 * weight 0 are deleted, and their clients rescheduled (IPVS with expire_quiescent_template=1).
 * Sets hold at most `persistenceSetSize` clients; past that new clients are not remembered.
 *
 * Return traffic: LVS-NAT assumes the director is the real servers' gateway; conntrack then
 * rewrites replies back to the VIP. Vigil adds no SNAT/masquerade (real servers see client
 * addresses, as with IPVS); a topology where replies bypass the director needs a masquerade rule
 * of the operator's own. The director needs forwarding enabled and its forward filter must pass
 * the flows.
 */
import { parseIp } from '#schema';
import { destinationId, serviceId, type Destination, type IpFamily, type ServiceKey, type VirtualServerTable } from '../model.ts';
import { checkNftSupport, liveShares, pickOf, type NftSupportOptions } from './support.ts';

export const DEFAULT_TABLE = 'vigil_lb';
export const DEFAULT_PERSISTENCE_SET_SIZE = 1 << 20;
/** Bump when the rendering changes, so an upgraded agent replaces an unchanged table. */
const RENDER_VERSION = 'vigil-lb/1';
export const FINGERPRINT_PREFIX = 'vigil-lb fingerprint ';

export interface NftRenderOptions extends NftSupportOptions {
  /** Name of the inet table Vigil owns (default `vigil_lb`). */
  tableName?: string;
  /** Max clients per persistence set (default 2^20). */
  persistenceSetSize?: number;
}

/** What the table holds now (from the read-back): the rewrite flushes/deletes it. */
export interface NftExisting {
  chains: readonly string[];
  sets: readonly string[];
  maps: readonly string[];
}

/** The base chains: created once, flushed and refilled, never deleted while Vigil runs. */
const BASE_CHAINS: Record<string, string> = {
  prerouting: 'type nat hook prerouting priority dstnat; policy accept;',
  output: 'type nat hook output priority -100; policy accept;',
  input: 'type filter hook input priority filter; policy accept;',
};

export interface NftDestinationLayout {
  id: string;
  chain: string;
  /** The persistence set, when the service is persistent. */
  set?: string;
  family: IpFamily;
  address: string;
  port: number;
  weight: number;
  /** Share of the modulus (weight / gcd; 1 for rr/lc). */
  share: number;
}

export interface NftServiceLayout {
  id: string;
  key: ServiceKey;
  chain: string;
  /** Destinations new connections go to (weight > 0), in table order. */
  live: NftDestinationLayout[];
}

/** Names the render gave to everything: what the controller verifies and reports against. */
export interface NftLayout {
  table: string;
  services: NftServiceLayout[];
}

export interface RenderedNft {
  /** The transaction for `nft -f -`. */
  script: string;
  /** Hash of the ruleset (not of what it cleans up); also stored in the table as a rule comment. */
  fingerprint: string;
  layout: NftLayout;
  /** How the script replaces the old content: in place (atomic), or by re-creating the table. */
  mode: 'in-place' | 'recreate';
}

const FP_TOKEN = '@@FINGERPRINT@@';

/**
 * Renders `table` as a rewrite of what the kernel holds (`existing`; undefined = no table yet).
 * `recreate` (or names in `existing` that cannot go into a script) deletes and re-creates the
 * whole table instead: for recovery from a table someone altered; not atomic for new flows
 * (see above). Throws (a programmer error) when {@link checkNftSupport} has problems.
 */
export function renderNft(table: VirtualServerTable, options: NftRenderOptions = {}, existing?: NftExisting, recreate = false): RenderedNft {
  const problems = checkNftSupport(table, options);
  if (problems.length) throw new Error(`renderNft: the table is not supported by nftables:\n  ${problems.join('\n  ')}`);
  const name = options.tableName ?? DEFAULT_TABLE;
  if (!/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(name)) throw new Error(`renderNft: table name "${name}" must be a letter then letters, digits or _ (at most 64)`);
  const setSize = options.persistenceSetSize ?? DEFAULT_PERSISTENCE_SET_SIZE;
  const layout: NftLayout = { table: `inet ${name}`, services: [] };
  const sets: string[] = [];
  const chains: string[] = [];
  const dispatch = { fw4: [] as string[], fw6: [] as string[], port4: [] as string[], port6: [] as string[], any4: [] as string[], any6: [] as string[] };
  const reject = { fw4: [] as string[], fw6: [] as string[], port4: [] as string[], port6: [] as string[], any4: [] as string[], any6: [] as string[] };
  const setNames = new Set<string>();

  for (const svc of table.services) {
    const slug = serviceSlug(svc.key);
    const chain = `s_${slug}`;
    const shares = liveShares(svc);
    const live: NftDestinationLayout[] = shares.map(({ destination: d, share }) => ({
      id: destinationId(d),
      chain: `d_${slug}__${addressSlug(d.address)}_${d.port}`,
      ...(svc.persistence ? { set: `p${svc.persistence.netmaskPrefix}t${svc.persistence.timeoutSec}${setSize === DEFAULT_PERSISTENCE_SET_SIZE ? '' : `z${setSize}`}_${slug}__${addressSlug(d.address)}_${d.port}` } : {}),
      family: d.family, address: d.address, port: d.port, weight: d.weight, share,
    }));
    layout.services.push({ id: serviceId(svc.key), key: svc.key, chain, live });
    const f = svc.key.family === 'inet' ? '4' : '6';
    const bucket = svc.key.kind === 'fwmark' ? `fw${f}` : svc.key.port === 0 ? `any${f}` : `port${f}`;
    const match = serviceMatch(svc.key);
    if (live.length === 0) {
      (reject as Record<string, string[]>)[bucket]!.push(match);
      continue;
    }
    (dispatch as Record<string, string[]>)[bucket]!.push(`${match} goto ${chain}`);

    const saddr = svc.key.family === 'inet' ? 'ip saddr' : 'ip6 saddr';
    const clientKey = svc.persistence ? maskedKey(saddr, svc.key.family, svc.persistence.netmaskPrefix) : '';
    const body: string[] = [`comment ${quote(`${serviceId(svc.key)} ${svc.scheduler}`)}`];
    for (const d of live) if (d.set) body.push(`${clientKey} @${d.set} goto ${d.chain}`);
    body.push(...pickRules(svc.key, svc.scheduler, svc.flags.sched2, live));
    chains.push(block(`chain ${chain}`, body));

    for (const d of live) {
      const dest = svc.destinations.find((x) => destinationId(x) === d.id)!;
      const rules: string[] = [];
      if (d.set) {
        sets.push(block(`set ${d.set}`, [`type ${svc.key.family === 'inet' ? 'ipv4_addr' : 'ipv6_addr'}`, `size ${setSize}`, 'flags dynamic,timeout', `timeout ${svc.persistence!.timeoutSec}s`]));
        setNames.add(d.set);
        rules.push(`update @${d.set} { ${clientKey} }`);
      }
      const comment = quote(`${serviceId(svc.key)} -> ${d.id} weight ${d.weight}`);
      rules.push(...dnatRules(svc.key, dest).map((r) => `${r} comment ${comment}`));
      chains.push(block(`chain ${d.chain}`, rules));
    }
  }

  const definitions = [
    ...Object.entries(BASE_CHAINS).map(([chain, spec]) => `add chain inet ${name} ${chain} { ${spec} }`),
    block(`table inet ${name}`, [
      ...sets,
      block('chain prerouting', [`counter comment "${FINGERPRINT_PREFIX}${FP_TOKEN}"`, 'jump dispatch']),
      block('chain output', ['jump dispatch']),
      block('chain input', rejectRules(reject)),
      block('chain dispatch', dispatchRules(dispatch)),
      ...chains,
    ]),
  ].join('\n');
  const fingerprint = fnv1a64(`${RENDER_VERSION}\n${definitions}`);
  const safe = (n: string) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(n);
  const old = existing ?? { chains: [], sets: [], maps: [] };
  const mode = recreate || ![...old.chains, ...old.sets, ...old.maps].every(safe) ? 'recreate' : 'in-place';
  const cleanup: string[] = [];
  if (mode === 'recreate') cleanup.push(`delete table inet ${name}`, `add table inet ${name} { ${TABLE_COMMENT} }`);
  else {
    // Rules first (they hold references), then the chains and sets nothing refers to any more.
    const regular = old.chains.filter((c) => !(c in BASE_CHAINS));
    for (const c of Object.keys(BASE_CHAINS)) if (old.chains.includes(c)) cleanup.push(`flush chain inet ${name} ${c}`);
    for (const c of regular) cleanup.push(`flush chain inet ${name} ${c}`);
    for (const c of regular) cleanup.push(`delete chain inet ${name} ${c}`);
    for (const m of old.maps) cleanup.push(`delete map inet ${name} ${m}`);
    for (const set of old.sets) if (!setNames.has(set)) cleanup.push(`delete set inet ${name} ${set}`);
  }
  const script = [
    '# Vigil load balancing (nftables data plane). Generated; one transaction rewrites this table.',
    `add table inet ${name} { ${TABLE_COMMENT} }`,
    ...cleanup,
    definitions.replace(FP_TOKEN, fingerprint),
    '',
  ].join('\n');
  return { script, fingerprint, layout, mode };
}

const TABLE_COMMENT = 'comment "managed by vigil: IPVS-style load balancing; do not edit";';

/** Chain/set-name form of a service: `tcp_10_0_0_1_80`, `udp_2001_db8__1_53`, `fwm4_5`. */
export function serviceSlug(key: ServiceKey): string {
  if (key.kind === 'fwmark') return `fwm${key.family === 'inet' ? 4 : 6}_${key.fwmark}`;
  return `${key.protocol.toLowerCase()}_${addressSlug(key.address)}_${key.port}`;
}

function addressSlug(address: string): string {
  return address.replace(/[.:]/g, '_');
}

/** The match of a service's packets: `ip daddr 10.0.0.1 tcp dport 80`, `meta nfproto ipv4 meta mark 7`. */
function serviceMatch(key: ServiceKey): string {
  if (key.kind === 'fwmark') return `meta nfproto ${key.family === 'inet' ? 'ipv4' : 'ipv6'} meta mark ${key.fwmark}`;
  const proto = key.protocol.toLowerCase();
  const daddr = `${key.family === 'inet' ? 'ip' : 'ip6'} daddr ${key.address}`;
  return key.port === 0 ? `${daddr} meta l4proto ${proto}` : `${daddr} ${proto} dport ${key.port}`;
}

const BUCKETS = ['fw4', 'fw6', 'port4', 'port6', 'any4', 'any6'] as const;

function dispatchRules(d: Record<(typeof BUCKETS)[number], string[]>): string[] {
  return BUCKETS.flatMap((b) => d[b]);
}

function rejectRules(r: Record<(typeof BUCKETS)[number], string[]>): string[] {
  return BUCKETS.flatMap((b) => r[b].map((m) => `${m} reject with icmpx port-unreachable`));
}

function pickRules(key: ServiceKey, scheduler: VirtualServerTable['services'][number]['scheduler'], shPort: boolean, live: NftDestinationLayout[]): string[] {
  const { pick } = pickOf(scheduler);
  if (pick === 'first-highest') {
    // ip_vs_fo.c: the destination with the highest weight; the first one wins a tie.
    const best = live.reduce((a, b) => (b.weight > a.weight ? b : a));
    return [`goto ${best.chain}`];
  }
  const last = live[live.length - 1]!;
  const rest = live.slice(0, -1);
  const ip = key.family === 'inet' ? 'ip' : 'ip6';
  if (pick === 'rotate') return [...rest.map((d, i) => `numgen inc mod ${live.length - i} 0 goto ${d.chain}`), `goto ${last.chain}`];
  let remaining = live.reduce((n, d) => n + d.share, 0);
  if (pick === 'random') {
    return [...rest.map((d) => {
      const rule = `numgen random mod ${remaining} < ${d.share} goto ${d.chain}`;
      remaining -= d.share;
      return rule;
    }), `goto ${last.chain}`];
  }
  const expr = pick === 'hash-saddr' ? `jhash ${ip} saddr${shPort ? ' . th sport' : ''} mod ${remaining}` : `jhash ${ip} daddr mod ${remaining}`;
  let at = 0;
  return [...rest.map((d) => {
    const from = at;
    at += d.share;
    return `${expr} ${from === at - 1 ? from : `${from}-${at - 1}`} goto ${d.chain}`;
  }), `goto ${last.chain}`];
}

/**
 * The DNAT of one destination. nft maps a port only after a transport protocol match; a fwmark
 * service carries any protocol, so it gets one rule per port protocol (not `{ tcp, udp, sctp }`:
 * no anonymous sets on the packet path, see above).
 */
function dnatRules(key: ServiceKey, d: Destination): string[] {
  const ip = d.family === 'inet' ? 'ip' : 'ip6';
  const target = d.port ? `${d.family === 'inet6' ? `[${d.address}]` : d.address}:${d.port}` : d.address;
  const protos = d.port === 0 ? [''] : key.kind === 'address' ? [key.protocol.toLowerCase()] : ['tcp', 'udp', 'sctp'];
  return protos.map((p) => `${p ? `meta l4proto ${p} ` : ''}counter dnat ${ip} to ${target}`);
}

/** `ip saddr` or `ip saddr & 255.255.255.0` for persistence_granularity. */
function maskedKey(saddr: string, family: IpFamily, prefix: number): string {
  const bits = family === 'inet' ? 32 : 128;
  if (prefix === bits) return saddr;
  return `${saddr} & ${prefixMask(family, prefix)}`;
}

/** The netmask of a prefix length as an address: 24 -> 255.255.255.0, 64 -> ffff:ffff:ffff:ffff::. */
export function prefixMask(family: IpFamily, prefix: number): string {
  const bytes = Array.from({ length: family === 'inet' ? 4 : 16 }, (_, i) => {
    const n = Math.max(0, Math.min(8, prefix - i * 8));
    return (0xff << (8 - n)) & 0xff;
  });
  if (family === 'inet') return bytes.join('.');
  const groups = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i]! << 8) | bytes[2 * i + 1]!).toString(16));
  return parseIp(groups.join(':'))!.canonical;
}

function block(head: string, body: string[]): string {
  const inner = body.flatMap((l) => l.split('\n')).map((l) => `\t${l}`);
  return [`${head} {`, ...inner, '}'].join('\n');
}

function quote(s: string): string {
  // nft comments are double-quoted with no escapes; ids never contain quotes, but be sure.
  return `"${s.replace(/"/g, "'").slice(0, 127)}"`;
}

/** FNV-1a 64-bit, hex: change detection of the ruleset, not security. */
function fnv1a64(text: string): string {
  let h = 0xcbf29ce484222325n;
  const bytes = new TextEncoder().encode(text);
  for (const b of bytes) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
  return h.toString(16).padStart(16, '0');
}
