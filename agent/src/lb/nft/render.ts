/**
 * VirtualServerTable -> one nftables transaction that replaces Vigil's table. Pure.
 *
 * One table, `table inet vigil_lb` (inet: IPv4 and IPv6 in one place, NAT in inet needs Linux
 * 5.2+). The script is `add table; delete table; table { ... }`, read by one `nft -f`, which the
 * kernel commits as ONE transaction: a packet sees the old ruleset or the new one, never none
 * (the add makes the delete valid when the table is absent). Nothing outside the table is
 * touched. Layout:
 *
 *   prerouting (nat, dstnat) + output (nat, -100, for clients on the director itself)
 *     -> dispatch: fwmark vmaps, then VIP . proto . port vmaps, then VIP . proto (port 0)
 *        vmaps, per family: the order of ip_vs_service_find (fwmark, exact port, port zero)
 *   s_<service>: persistence lookups, then the pick (numgen/jhash ... mod N vmap over ranges)
 *   d_<service>__<destination>: remember the client (persistence), count, DNAT
 *   input (filter): services with no live destination reject with ICMP port unreachable,
 *     as ip_vs_leave() does. (reject is not allowed in nat chains; the VIP is a local address,
 *     so un-DNATed packets to it reach input.)
 *
 * Picks (support.ts says which scheduler gets which): weighted random is
 * `numgen random mod TOTAL vmap { 0-0 : goto a, 1-2 : goto b, 3-5 : goto c }` with the
 * weights divided by their gcd; weight 0 destinations are not in the map (IPVS schedules
 * nothing new to them; existing flows keep their conntrack NAT binding, like IPVS connections).
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
 * every client. The sets live in the table, so the atomic replace empties them; the controller
 * reads them first and carries the entries of destinations that are still live into the same
 * transaction (`carry`); a client whose destination left or went to weight 0 is rescheduled
 * (IPVS with expire_quiescent_template=1). Entries added between that read and the commit are
 * lost (the client is rescheduled once). Sets hold at most `persistenceSetSize` clients; past
 * that new clients are not remembered.
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

/** A client remembered by a persistence set (read back from the kernel before a replace). */
export interface PersistedClient {
  set: string;
  /** The set key: the client's address masked to the granularity. */
  key: string;
  expiresSec: number;
}

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
  /** The transaction for `nft -f -`, carried persistence entries included. */
  script: string;
  /** Hash of the ruleset (not of carried entries); also stored in the table as a rule comment. */
  fingerprint: string;
  layout: NftLayout;
  /** Persistence entries carried over (of those passed in, the ones the new table keeps). */
  carried: number;
}

const FP_TOKEN = '@@FINGERPRINT@@';

/** Renders `table`; throws (a programmer error) when {@link checkNftSupport} has problems. */
export function renderNft(table: VirtualServerTable, options: NftRenderOptions = {}, carry: readonly PersistedClient[] = []): RenderedNft {
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
  const setNames = new Map<string, { family: IpFamily; timeoutSec: number }>();

  for (const svc of table.services) {
    const slug = serviceSlug(svc.key);
    const chain = `s_${slug}`;
    const shares = liveShares(svc);
    const live: NftDestinationLayout[] = shares.map(({ destination: d, share }) => ({
      id: destinationId(d),
      chain: `d_${slug}__${addressSlug(d.address)}_${d.port}`,
      ...(svc.persistence ? { set: `p${svc.persistence.netmaskPrefix}_${slug}__${addressSlug(d.address)}_${d.port}` } : {}),
      family: d.family, address: d.address, port: d.port, weight: d.weight, share,
    }));
    layout.services.push({ id: serviceId(svc.key), key: svc.key, chain, live });
    const f = svc.key.family === 'inet' ? '4' : '6';
    const bucket = svc.key.kind === 'fwmark' ? `fw${f}` : svc.key.port === 0 ? `any${f}` : `port${f}`;
    const match = serviceMatchKey(svc.key);
    if (live.length === 0) {
      (reject as Record<string, string[]>)[bucket]!.push(match);
      continue;
    }
    (dispatch as Record<string, string[]>)[bucket]!.push(`${match} : goto ${chain}`);

    const saddr = svc.key.family === 'inet' ? 'ip saddr' : 'ip6 saddr';
    const clientKey = svc.persistence ? maskedKey(saddr, svc.key.family, svc.persistence.netmaskPrefix) : '';
    const body: string[] = [`comment ${quote(`${serviceId(svc.key)} ${svc.scheduler}`)}`];
    for (const d of live) if (d.set) body.push(`${clientKey} @${d.set} goto ${d.chain}`);
    body.push(pickRule(svc.key, svc.scheduler, svc.flags.sched2, live));
    chains.push(block(`chain ${chain}`, body));

    for (const d of live) {
      const dest = svc.destinations.find((x) => destinationId(x) === d.id)!;
      const rules: string[] = [];
      if (d.set) {
        sets.push(block(`set ${d.set}`, [`type ${svc.key.family === 'inet' ? 'ipv4_addr' : 'ipv6_addr'}`, `size ${setSize}`, 'flags dynamic,timeout', `timeout ${svc.persistence!.timeoutSec}s`]));
        setNames.set(d.set, { family: svc.key.family, timeoutSec: svc.persistence!.timeoutSec });
        rules.push(`update @${d.set} { ${clientKey} }`);
      }
      rules.push(`${dnatRule(svc.key, dest)} comment ${quote(`${serviceId(svc.key)} -> ${d.id} weight ${d.weight}`)}`);
      chains.push(block(`chain ${d.chain}`, rules));
    }
  }

  const lines: string[] = [
    `# Vigil load balancing (nftables data plane). Generated; every apply replaces this table.`,
    `add table inet ${name}`,
    `delete table inet ${name}`,
    block(`table inet ${name}`, [
      `comment ${quote('managed by vigil: IPVS-style load balancing; do not edit')}`,
      ...sets,
      block('chain prerouting', ['type nat hook prerouting priority dstnat; policy accept;', `counter comment "${FINGERPRINT_PREFIX}${FP_TOKEN}"`, 'jump dispatch']),
      block('chain output', ['type nat hook output priority -100; policy accept;', 'jump dispatch']),
      block('chain dispatch', dispatchRules(dispatch)),
      block('chain input', ['type filter hook input priority filter; policy accept;', ...rejectRules(reject)]),
      ...chains,
    ]),
  ];
  const ruleset = lines.join('\n');
  const fingerprint = fnv1a64(`${RENDER_VERSION}\n${ruleset}`);
  const { lines: carried, count } = carryLines(name, carry, setNames);
  return { script: `${ruleset.replace(FP_TOKEN, fingerprint)}\n${carried.join('\n')}${carried.length ? '\n' : ''}`, fingerprint, layout, carried: count };
}

/** Chain/set-name form of a service: `tcp_10_0_0_1_80`, `udp_2001_db8__1_53`, `fwm4_5`. */
export function serviceSlug(key: ServiceKey): string {
  if (key.kind === 'fwmark') return `fwm${key.family === 'inet' ? 4 : 6}_${key.fwmark}`;
  return `${key.protocol.toLowerCase()}_${addressSlug(key.address)}_${key.port}`;
}

function addressSlug(address: string): string {
  return address.replace(/[.:]/g, '_');
}

function serviceMatchKey(key: ServiceKey): string {
  if (key.kind === 'fwmark') return String(key.fwmark);
  const proto = key.protocol.toLowerCase();
  return key.port === 0 ? `${key.address} . ${proto}` : `${key.address} . ${proto} . ${key.port}`;
}

function dispatchRules(d: Record<'fw4' | 'fw6' | 'port4' | 'port6' | 'any4' | 'any6', string[]>): string[] {
  const out: string[] = [];
  const vmap = (lhs: string, elems: string[]) => { if (elems.length) out.push(`${lhs} vmap { ${elems.join(', ')} }`); };
  vmap('meta nfproto ipv4 meta mark', d.fw4);
  vmap('meta nfproto ipv6 meta mark', d.fw6);
  vmap('ip daddr . meta l4proto . th dport', d.port4);
  vmap('ip6 daddr . meta l4proto . th dport', d.port6);
  vmap('ip daddr . meta l4proto', d.any4);
  vmap('ip6 daddr . meta l4proto', d.any6);
  return out;
}

function rejectRules(r: Record<'fw4' | 'fw6' | 'port4' | 'port6' | 'any4' | 'any6', string[]>): string[] {
  const out: string[] = [];
  const set = (lhs: string, elems: string[]) => { if (elems.length) out.push(`${lhs} { ${elems.join(', ')} } reject with icmpx port-unreachable`); };
  set('meta nfproto ipv4 meta mark', r.fw4);
  set('meta nfproto ipv6 meta mark', r.fw6);
  set('ip daddr . meta l4proto . th dport', r.port4);
  set('ip6 daddr . meta l4proto . th dport', r.port6);
  set('ip daddr . meta l4proto', r.any4);
  set('ip6 daddr . meta l4proto', r.any6);
  return out;
}

function pickRule(key: ServiceKey, scheduler: VirtualServerTable['services'][number]['scheduler'], shPort: boolean, live: NftDestinationLayout[]): string {
  const { pick } = pickOf(scheduler);
  if (pick === 'first-highest') {
    // ip_vs_fo.c: the destination with the highest weight; the first one wins a tie.
    const best = live.reduce((a, b) => (b.weight > a.weight ? b : a));
    return `goto ${best.chain}`;
  }
  if (live.length === 1) return `goto ${live[0]!.chain}`;
  const total = live.reduce((n, d) => n + d.share, 0);
  const ip = key.family === 'inet' ? 'ip' : 'ip6';
  const expr = pick === 'rotate' ? `numgen inc mod ${total}`
    : pick === 'random' ? `numgen random mod ${total}`
      : pick === 'hash-saddr' ? `jhash ${ip} saddr${shPort ? ' . th sport' : ''} mod ${total}`
        : `jhash ${ip} daddr mod ${total}`;
  let at = 0;
  const elems = live.map((d) => {
    const from = at;
    at += d.share;
    return `${from === at - 1 ? from : `${from}-${at - 1}`} : goto ${d.chain}`;
  });
  return `${expr} vmap { ${elems.join(', ')} }`;
}

function dnatRule(key: ServiceKey, d: Destination): string {
  const ip = d.family === 'inet' ? 'ip' : 'ip6';
  const host = d.family === 'inet6' && d.port ? `[${d.address}]` : d.address;
  // nft only maps a port after a transport protocol match; fwmark services carry any protocol.
  const proto = d.port === 0 ? '' : key.kind === 'address' ? `meta l4proto ${key.protocol.toLowerCase()} ` : 'meta l4proto { tcp, udp, sctp } ';
  return `${proto}counter dnat ${ip} to ${host}${d.port ? `:${d.port}` : ''}`;
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

/** `add element` lines re-seeding the persistence sets that survive the replace. */
function carryLines(table: string, carry: readonly PersistedClient[], sets: ReadonlyMap<string, { family: IpFamily; timeoutSec: number }>): { lines: string[]; count: number } {
  const bySet = new Map<string, string[]>();
  let count = 0;
  for (const c of carry) {
    const set = sets.get(c.set);
    const ip = parseIp(c.key);
    // Only sets of the new table, only keys of the set's family (the text goes into a script).
    if (!set || !ip || ip.family !== set.family) continue;
    const expires = Math.min(Math.floor(c.expiresSec), set.timeoutSec);
    if (!(expires >= 1)) continue;
    const list = bySet.get(c.set) ?? [];
    list.push(`${ip.canonical} expires ${expires}s`);
    count++;
    bySet.set(c.set, list);
  }
  const lines: string[] = [];
  for (const [set, elems] of bySet) {
    for (let i = 0; i < elems.length; i += 1000) lines.push(`add element inet ${table} ${set} { ${elems.slice(i, i + 1000).join(', ')} }`);
  }
  return { lines, count };
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
