/**
 * Can a data plane program these virtual servers? Asked of every revision before anything runs
 * (two-phase apply), not only when the data plane is first opened. Pure.
 *
 * IPVS programs every table desired.ts makes. nftables cannot do everything (DR, TUN, some
 * schedulers: nft/support.ts): every table the config can produce must be programmable, all
 * real servers up and all down (the sorry servers), so a revision nftables cannot run is
 * refused with where and what to use instead, never half applied.
 */
import type { ClusterSpec } from '#schema';
import { desiredTable } from './desired.ts';
import { lbIdentities } from './identity.ts';
import { serviceId } from './model.ts';
import { checkNftSupport } from './nft/support.ts';

export interface SupportVerdict {
  /** Why the data plane cannot program these virtual servers ([] = it can). */
  problems: string[];
  /** Approximations the operator should know about. */
  warnings: string[];
}

export function dataPlaneSupport(kind: 'ipvs' | 'nftables', lb: { virtualServers: ClusterSpec['virtualServers']; virtualServerGroups: ClusterSpec['virtualServerGroups'] }): SupportVerdict {
  if (kind === 'ipvs') return { problems: [], warnings: [] };
  const base = { virtualServers: lb.virtualServers, virtualServerGroups: lb.virtualServerGroups };
  const allDown = new Map<string, boolean>();
  for (const ids of lbIdentities(lb.virtualServers).rs) for (const id of ids) allDown.set(id, false);
  const tables = [desiredTable({ ...base, health: new Map() }).table, desiredTable({ ...base, health: allDown, previousQuorum: new Map() }).table];
  const problems = [...new Set(tables.flatMap((t) => checkNftSupport(t, { approximateLeastConnection: true })))];
  const warnings = tables[0]!.services
    .filter((s) => ['lc', 'wlc', 'sed', 'nq'].includes(s.scheduler))
    .map((s) => `${serviceId(s.key)}: lvs_sched ${s.scheduler} picks by live connection counts, which nftables cannot see; it runs as weighted random here (use IPVS for the real thing)`);
  return { problems, warnings };
}
