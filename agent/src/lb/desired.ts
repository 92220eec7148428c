/**
 * Cluster spec + real-server health -> the desired {@link VirtualServerTable}. Pure.
 *
 * keepalived semantics (check/ipwrapper.c): a failed real server leaves the pool, or stays with
 * weight 0 under `inhibit_on_failure`; when the live weight drops below `quorum` (with
 * `hysteresis`) and a `sorry_server` is set, the sorry server replaces the live real servers;
 * `sorry_server_inhibit` keeps it at weight 0 while the quorum holds.
 */
import { parseIp, type ClusterSpec, type RealServer, type VirtualServer, type VirtualServerGroupMember } from '#schema';
import { lbIdentities } from './identity.ts';
import { NO_FLAGS, serviceId, type Destination, type IpFamily, type Persistence, type Service, type ServiceFlags, type ServiceKey, type Tunnel, type VirtualServerTable } from './model.ts';

/** The health-map key of real server `rsIndex` of virtual server `vsIndex` (identity.ts). */
export function realServerKey(virtualServers: ClusterSpec['virtualServers'], vsIndex: number, rsIndex: number): string {
  return lbIdentities(virtualServers).rs[vsIndex]![rsIndex]!;
}

export interface DesiredInput {
  virtualServers: ClusterSpec['virtualServers'];
  virtualServerGroups: ClusterSpec['virtualServerGroups'];
  /** Health by real-server identity (identity.ts); a real server with no entry counts as up (keepalived's start state). */
  health: ReadonlyMap<string, boolean>;
  /**
   * Weight by real-server identity replacing the configured one: dynamic weights (misc_dynamic,
   * FILE_CHECK) and drains (0: no new connections, existing ones finish).
   */
  weights?: ReadonlyMap<string, number>;
  /** Quorum state per virtual-server identity from the previous evaluation (for `hysteresis`). */
  previousQuorum?: ReadonlyMap<string, boolean>;
}

export interface DesiredResult {
  table: VirtualServerTable;
  /** Quorum state per virtual-server identity (feed back as `previousQuorum`). */
  quorum: Map<string, boolean>;
  /** Services that more than one virtual server expanded to (the first one wins). */
  duplicates: string[];
  /**
   * What the kernel would refuse, left out of the table instead: "virtualServers[0].realServers[1]:
   * ..." (mixed-family destination without TUN, an over-large group range).
   */
  problems: string[];
}

/** Upper bound on addresses one group member may expand to (a /16 would be 65536 services). */
export const MAX_GROUP_EXPANSION = 4096;

export function desiredTable(input: DesiredInput): DesiredResult {
  const services: Service[] = [];
  const seen = new Set<string>();
  const duplicates: string[] = [];
  const quorum = new Map<string, boolean>();
  const problems: string[] = [];
  const ids = lbIdentities(input.virtualServers);
  input.virtualServers.forEach((vs, vsIndex) => {
    const rsIds = ids.rs[vsIndex]!;
    const up = vs.realServers.map((_, i) => input.health.get(rsIds[i]!) ?? true);
    const weight = vs.realServers.map((rs, i) => input.weights?.get(rsIds[i]!) ?? rs.weight);
    const liveWeight = vs.realServers.reduce((sum, _rs, i) => sum + (up[i] ? weight[i]! : 0), 0);
    const was = input.previousQuorum?.get(ids.vs[vsIndex]!) ?? true;
    const quorumUp = was ? liveWeight >= vs.quorum - vs.hysteresis : liveWeight >= vs.quorum + vs.hysteresis;
    quorum.set(ids.vs[vsIndex]!, quorumUp);
    const keys = serviceKeys(vs, input.virtualServerGroups, (m) => problems.push(`virtualServers[${vsIndex}]: ${m}`));
    for (const key of keys) {
      const id = serviceId(key);
      if (seen.has(id)) { duplicates.push(id); continue; }
      seen.add(id);
      const svcPort = key.kind === 'address' ? key.port : 0;
      const destinations: Destination[] = [];
      if (!quorumUp && vs.sorryServer) {
        destinations.push(sorryDestination(vs, svcPort, 1));
      } else {
        vs.realServers.forEach((rs, i) => {
          const inhibit = rs.inhibitOnFailure ?? vs.inhibitOnFailure;
          if (!up[i] && !inhibit) return;
          const d = realDestination(vs, rs, svcPort, up[i] ? weight[i]! : 0);
          // ip_vs_genl_set_cmd: a destination of the other family is accepted only for TUN.
          if (d.family !== key.family && d.method !== 'TUN') {
            problems.push(`virtualServers[${vsIndex}].realServers[${i}]: ${d.address} is ${d.family} but ${id} is ${key.family}; IPVS forwards across address families only with lvs_method TUN`);
            return;
          }
          destinations.push(d);
        });
        if (vs.sorryServer?.inhibit) destinations.push(sorryDestination(vs, svcPort, 0));
      }
      services.push({
        key,
        scheduler: vs.scheduler,
        flags: serviceFlags(vs.schedulerFlags),
        ...(vs.persistenceTimeoutMs ? { persistence: persistence(vs, key.family) } : {}),
        ...(vs.persistenceEngine ? { persistenceEngine: vs.persistenceEngine } : {}),
        destinations: dedupeDestinations(destinations),
      });
    }
  });
  return { table: { services }, quorum, duplicates, problems };
}

function serviceFlags(flags: readonly string[]): ServiceFlags {
  const f = { ...NO_FLAGS };
  for (const flag of flags) {
    if (flag === 'flag-1' || flag === 'sh-fallback' || flag === 'mh-fallback') f.sched1 = true;
    else if (flag === 'flag-2' || flag === 'sh-port' || flag === 'mh-port') f.sched2 = true;
    else if (flag === 'flag-3') f.sched3 = true;
    else if (flag === 'ops') f.onePacket = true;
  }
  return f;
}

function persistence(vs: VirtualServer, family: IpFamily): Persistence {
  const g = vs.persistenceGranularity;
  let netmaskPrefix = family === 'inet' ? 32 : 128;
  if (typeof g === 'number') netmaskPrefix = g;
  else if (g !== undefined) netmaskPrefix = (parseIp(g)?.bytes ?? []).reduce((n, b) => n + popcount(b), 0);
  return { timeoutSec: Math.floor((vs.persistenceTimeoutMs ?? 0) / 1000), netmaskPrefix };
}

function popcount(b: number): number {
  let n = 0;
  for (let x = b; x; x >>= 1) n += x & 1;
  return n;
}

function tunnelOf(t: RealServer['tunnel'] | VirtualServer['tunnel']): Tunnel {
  return { type: t?.type ?? 'ipip', port: t?.type === 'gue' ? (t.port ?? 0) : 0, checksum: t?.checksum ?? 'nocsum' };
}

function realDestination(vs: VirtualServer, rs: RealServer, svcPort: number, weight: number): Destination {
  const method = rs.method ?? vs.method;
  const ip = parseIp(rs.address)!;
  return {
    family: ip.family,
    address: ip.canonical,
    port: rs.port ?? svcPort,
    method,
    ...(method === 'TUN' ? { tunnel: tunnelOf(rs.tunnel ?? vs.tunnel) } : {}),
    weight,
    upperThreshold: rs.upperThreshold ?? 0,
    lowerThreshold: rs.lowerThreshold ?? 0,
  };
}

function sorryDestination(vs: VirtualServer, svcPort: number, weight: number): Destination {
  const s = vs.sorryServer!;
  const method = s.method ?? vs.method;
  const ip = parseIp(s.address)!;
  return {
    family: ip.family, address: ip.canonical, port: s.port ?? svcPort, method,
    ...(method === 'TUN' ? { tunnel: tunnelOf(vs.tunnel) } : {}),
    weight, upperThreshold: 0, lowerThreshold: 0,
  };
}

function dedupeDestinations(ds: Destination[]): Destination[] {
  const byId = new Map<string, Destination>();
  for (const d of ds) if (!byId.has(`${d.address}|${d.port}`)) byId.set(`${d.address}|${d.port}`, d);
  return [...byId.values()];
}

/** The kernel services one virtual server stands for (a group expands to several). */
export function serviceKeys(vs: VirtualServer, groups: ClusterSpec['virtualServerGroups'], problem: (m: string) => void = () => {}): ServiceKey[] {
  // keepalived: a fwmark service without ip_family takes the family of its real servers.
  const fwFamily = vs.ipFamily ?? (vs.realServers[0] ? parseIp(vs.realServers[0].address)?.family : undefined) ?? 'inet';
  if (vs.fwmark !== undefined) return [{ kind: 'fwmark', family: fwFamily, fwmark: vs.fwmark }];
  if (vs.address !== undefined) {
    const ip = parseIp(vs.address)!;
    return [{ kind: 'address', family: ip.family, protocol: vs.protocol, address: ip.canonical, port: vs.port ?? 0 }];
  }
  const group = Object.hasOwn(groups, vs.group!) ? groups[vs.group!] : undefined;
  if (!group) return [];
  return group.members.flatMap((m) => memberKeys(m, vs, fwFamily, problem));
}

function memberKeys(m: VirtualServerGroupMember, vs: VirtualServer, fwFamily: IpFamily, problem: (m: string) => void): ServiceKey[] {
  if ('fwmark' in m) return [{ kind: 'fwmark', family: m.family ?? fwFamily, fwmark: m.fwmark }];
  const port = m.port ?? vs.port ?? 0;
  const addrs = expandAddresses(m.address);
  if (addrs.length === MAX_GROUP_EXPANSION) problem(`group "${vs.group}" member ${m.address} covers more than ${MAX_GROUP_EXPANSION} addresses; only the first ${MAX_GROUP_EXPANSION} are used`);
  return addrs.map((a) => ({ kind: 'address', family: a.family, protocol: vs.protocol, address: a.canonical, port }));
}

/** "IP", "IP-last" (last octet / last IPv6 group range, keepalived's form) or "IP/len" (every address in it). */
export function expandAddresses(text: string): { family: IpFamily; canonical: string }[] {
  const dash = text.lastIndexOf('-');
  const slash = text.indexOf('/');
  const base = parseIp(dash > 0 ? text.slice(0, dash) : slash > 0 ? text.slice(0, slash) : text);
  if (!base) return [];
  const bytes = base.bytes;
  let first: bigint;
  let count: bigint;
  const width = BigInt(bytes.length * 8);
  const value = bytes.reduce((v, b) => (v << 8n) | BigInt(b), 0n);
  if (dash > 0) {
    const unit = base.family === 'inet' ? 8n : 16n;
    const mask = (1n << unit) - 1n;
    const last = BigInt(base.family === 'inet' ? Number(text.slice(dash + 1)) : parseInt(text.slice(dash + 1), 16));
    first = value;
    count = last >= (value & mask) ? last - (value & mask) + 1n : 0n;
  } else if (slash > 0) {
    const len = BigInt(Number(text.slice(slash + 1)));
    const hostBits = width - len;
    first = (value >> hostBits) << hostBits;
    count = 1n << hostBits;
  } else {
    first = value;
    count = 1n;
  }
  if (count > BigInt(MAX_GROUP_EXPANSION)) count = BigInt(MAX_GROUP_EXPANSION);
  const out: { family: IpFamily; canonical: string }[] = [];
  for (let i = 0n; i < count; i++) {
    const v = first + i;
    const b: number[] = [];
    for (let k = bytes.length - 1; k >= 0; k--) b.push(Number((v >> BigInt(k * 8)) & 0xffn));
    const text4or6 = base.family === 'inet' ? b.join('.') : b.reduce((s, x, k) => s + (k % 2 === 0 && k ? ':' : '') + x.toString(16).padStart(2, '0'), '');
    out.push({ family: base.family, canonical: parseIp(text4or6)!.canonical });
  }
  return out;
}
