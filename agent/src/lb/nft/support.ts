/**
 * What the nftables data plane can and cannot express of a {@link VirtualServerTable}. Pure.
 *
 * The rule: a table is programmed exactly as IPVS would run it, or refused with a problem per
 * field. Nothing is quietly downgraded (DR to NAT, wlc to wrr): an operator who moves a config
 * from an IPVS director to an nftables one must learn what changed before traffic does.
 *
 * Supported (see render.ts for how each one is built):
 * - method NAT only (DNAT, conntrack undoes it on the way back). DR rewrites the MAC and TUN
 *   encapsulates; netfilter's NAT can do neither. LOCAL/BYPASS only come from IPVS read-back.
 * - schedulers: rr (numgen inc over live servers, exact rotation), wrr (numgen random over the
 *   weights: the same shares, random order instead of IPVS's interleaved sequence), sh/dh
 *   (jhash of the source/destination address over the weights; sh-port hashes the source port
 *   too), fo (all new connections to the highest weight, first on ties, as ip_vs_fo.c).
 * - lc, wlc, sed, nq pick by live connection counts, which nftables cannot see. With
 *   `approximateLeastConnection` (an explicit opt-in) they become weighted random (lc
 *   unweighted), which converges on the same shares when connections are alike but does not
 *   steer away from a slow server. Without the opt-in they are problems.
 * - lblc, lblcr, mh, ovf, twos: always problems (locality state, consistent hashing, overflow
 *   by connection count, two random choices by load).
 * - scheduler flags: `ops` (one-packet scheduling) is a problem, conntrack schedules flows. The
 *   other flags only mean something to sh/mh in IPVS; sh-port is built, sh-fallback holds by
 *   construction (an unavailable server is never in the hash).
 * - persistence (timeout + granularity) yes, persistence engines (sip) no; connection
 *   thresholds (uthreshold/lthreshold) no: they need connection counts.
 * - a destination of the other address family: no (NAT does not translate 4 <-> 6).
 */
import { serviceId, destinationId, type Scheduler, type Service, type VirtualServerTable } from '../model.ts';

export interface NftSupportOptions {
  /** Accept lc/wlc/sed/nq as weighted random (lc: uniform). Off by default: say it to get it. */
  approximateLeastConnection?: boolean;
}

/** How render.ts picks among live destinations. */
export type NftPick = 'rotate' | 'random' | 'hash-saddr' | 'hash-daddr' | 'first-highest';

/** Schedulers that pick by connection count; weighted-random approximations only on request. */
const LEAST_CONNECTION = new Set<Scheduler>(['lc', 'wlc', 'sed', 'nq']);

const NEVER: Partial<Record<Scheduler, string>> = {
  lblc: 'locality-based least-connection keeps per-destination-address state nftables has no way to build',
  lblcr: 'locality-based least-connection with replication keeps per-destination-address server sets nftables has no way to build',
  mh: 'maglev hashing is consistent (a pool change moves few clients); a jhash modulo would move most of them. Use sh if that is acceptable',
  ovf: 'overflow picks by active connections against the weight, which nftables cannot count',
  twos: 'random-of-two picks the less loaded of two servers by connection count, which nftables cannot count',
};

/** The selection render.ts builds for a scheduler (after {@link checkNftSupport} passed). */
export function pickOf(scheduler: Scheduler): { pick: NftPick; weighted: boolean } {
  switch (scheduler) {
    case 'rr': return { pick: 'rotate', weighted: false };
    case 'lc': return { pick: 'random', weighted: false };
    case 'sh': return { pick: 'hash-saddr', weighted: true };
    case 'dh': return { pick: 'hash-daddr', weighted: true };
    case 'fo': return { pick: 'first-highest', weighted: true };
    default: return { pick: 'random', weighted: true };
  }
}

/** Largest sum of (gcd-reduced) weights a `numgen`/`jhash ... mod N` can take (u32 modulus). */
export const MAX_TOTAL_WEIGHT = 0xffffffff;

/**
 * Every reason `table` cannot be programmed with nftables, as "services[i] (TCP 10.0.0.1:80)
 * .field: why; what to do". Empty = supported.
 */
export function checkNftSupport(table: VirtualServerTable, options: NftSupportOptions = {}): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  table.services.forEach((svc, i) => {
    const at = `services[${i}] (${serviceId(svc.key)})`;
    if (seen.has(serviceId(svc.key))) problems.push(`${at}: the service appears twice; each VIP:port/protocol or fwmark may appear once`);
    seen.add(serviceId(svc.key));
    problems.push(...serviceProblems(svc, at, options));
  });
  return problems;
}

function serviceProblems(svc: Service, at: string, options: NftSupportOptions): string[] {
  const out: string[] = [];
  const s = svc.scheduler;
  const never = NEVER[s];
  if (never) out.push(`${at}.scheduler: ${s} cannot be built with nftables: ${never}; use rr, wrr, sh, dh or fo, or IPVS`);
  else if (LEAST_CONNECTION.has(s) && !options.approximateLeastConnection) {
    out.push(`${at}.scheduler: ${s} picks by live connection counts, which nftables cannot see; use rr/wrr/sh/dh/fo, or enable the weighted-random approximation (approximateLeastConnection), or IPVS`);
  }
  if (svc.flags.onePacket) out.push(`${at}.flags.onePacket: one-packet scheduling (ops) schedules every UDP datagram; nftables NAT schedules per conntrack flow. Drop "ops" or use IPVS`);
  if (svc.persistenceEngine) out.push(`${at}.persistenceEngine: persistence engine "${svc.persistenceEngine}" parses application data; nftables cannot. Remove persistence_engine or use IPVS`);
  if (svc.persistence) {
    const max = svc.key.family === 'inet' ? 32 : 128;
    const p = svc.persistence;
    if (!Number.isInteger(p.timeoutSec) || p.timeoutSec < 1) out.push(`${at}.persistence.timeoutSec: must be a whole number of seconds >= 1, got ${p.timeoutSec}`);
    if (!Number.isInteger(p.netmaskPrefix) || p.netmaskPrefix < 0 || p.netmaskPrefix > max) out.push(`${at}.persistence.netmaskPrefix: must be 0..${max} for ${svc.key.family}, got ${p.netmaskPrefix}`);
  }
  const dests = new Set<string>();
  svc.destinations.forEach((d, j) => {
    const dat = `${at}.destinations[${j}] (${destinationId(d)})`;
    if (dests.has(destinationId(d))) out.push(`${dat}: the destination appears twice in the service`);
    dests.add(destinationId(d));
    if (d.method !== 'NAT') {
      const why = d.method === 'DR' ? 'direct routing rewrites the destination MAC and keeps the VIP; netfilter NAT cannot forward that way'
        : d.method === 'TUN' ? 'tunnelling encapsulates the packet to the real server; netfilter NAT cannot'
          : `${d.method} is an IPVS-internal forwarding method`;
      out.push(`${dat}.method: ${d.method} is not possible with nftables (${why}); use lvs_method NAT with the director as the real servers' gateway, or IPVS`);
    }
    if (d.family !== svc.key.family) out.push(`${dat}.family: ${d.family} destination for a ${svc.key.family} service; NAT does not translate between IPv4 and IPv6`);
    if (d.upperThreshold > 0 || d.lowerThreshold > 0) out.push(`${dat}.upperThreshold/lowerThreshold: connection thresholds need live connection counts, which nftables cannot see; remove uthreshold/lthreshold or use IPVS`);
    if (!Number.isInteger(d.weight) || d.weight < 0) out.push(`${dat}.weight: must be a whole number >= 0, got ${d.weight}`);
    if (!Number.isInteger(d.port) || d.port < 0 || d.port > 65535) out.push(`${dat}.port: must be 0..65535, got ${d.port}`);
  });
  if (out.length === 0) {
    const total = liveShares(svc).reduce((n, s) => n + s.share, 0);
    if (total > MAX_TOTAL_WEIGHT) out.push(`${at}.destinations: total weight ${total} (divided by the weights' common divisor) exceeds ${MAX_TOTAL_WEIGHT}, the largest nftables modulus; scale the weights down`);
  }
  return out;
}

/**
 * The destinations new connections may go to, each with its share of the modulus: weight 0
 * (inhibited, drained, quiescent) is left out, as IPVS schedules no new connection to it;
 * weights divided by their gcd keep the maps small (3/6/9 -> 1/2/3); rr and lc ignore weights.
 */
export function liveShares<D extends Service['destinations'][number]>(svc: { scheduler: Scheduler; destinations: readonly D[] }): { destination: D; share: number }[] {
  const live = svc.destinations.filter((d) => d.weight > 0);
  if (!pickOf(svc.scheduler).weighted) return live.map((destination) => ({ destination, share: 1 }));
  const g = live.reduce((acc, d) => gcd(acc, d.weight), 0) || 1;
  return live.map((destination) => ({ destination, share: destination.weight / g }));
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}
