/**
 * Failovers, derived from the audit log: each `vrrp.transition` to MASTER on a director of a
 * cluster, paired with who was master before (the last director that became MASTER for that
 * instance) and the moment the old master was last heard (its own leave event, or the last
 * advert the new master received from it, which the agent reports with the transition).
 * The gap is the takeover time minus that moment: what clients saw with no master.
 *
 * An agent's clock is its claim, not the truth: each transition is dated at its agent time but
 * never later than when the control plane received it (an agent whose clock runs ahead cannot
 * push its takeover into the future, nor reorder it after events the control plane already
 * had), and ordered by that date.
 */
import { and, asc, eq, lte, sql, type SQL } from 'drizzle-orm';
import { clusters, directors, events, sites } from '../../../../schema/src/tables/index.ts';
import { requireRole, scopedSite, type ServiceContext } from '../context.ts';

export interface FailoverQuery {
  siteId?: string;
  clusterId?: string;
  instance?: string;
  since?: Date;
  until?: Date;
  limit?: number;
}

export interface Failover {
  site: string;
  cluster: string;
  clusterId: string;
  instance: string;
  oldMaster: string | null;
  newMaster: string;
  cause: string;
  at: string;
  /** ms from the old master's last advert (or exit) to the takeover; null when unknown. */
  gapMs: number | null;
  eventId: number;
}

interface TransitionDetails { from?: string; to?: string; reason?: string; lastAdvertAt?: string | null }

export async function listFailovers(ctx: ServiceContext, q: FailoverQuery): Promise<Failover[]> {
  requireRole(ctx, 'viewer');
  const where: SQL[] = [eq(events.kind, 'vrrp.transition')];
  const scoped = scopedSite(ctx);
  if (scoped) where.push(eq(events.siteId, scoped));
  if (q.siteId) where.push(eq(events.siteId, q.siteId));
  if (q.clusterId) where.push(eq(events.clusterId, q.clusterId));
  if (q.instance) where.push(eq(events.instance, q.instance));
  const effective = sql<Date>`least(coalesce(${events.agentTime}, ${events.receivedAt}), ${events.receivedAt})`;
  if (q.until) where.push(lte(effective, q.until));
  // Transitions before `since` still tell who was master; the filter applies to takeovers.
  const rows = await ctx.db
    .select({ id: events.id, clusterId: events.clusterId, instance: events.instance, details: events.details, agentTime: events.agentTime, receivedAt: events.receivedAt, director: directors.name, cluster: clusters.name, site: sites.name })
    .from(events)
    .innerJoin(directors, eq(directors.id, events.directorId))
    .innerJoin(clusters, eq(clusters.id, events.clusterId))
    .innerJoin(sites, eq(sites.id, events.siteId))
    .where(and(...where))
    .orderBy(asc(effective), asc(events.id))
    .limit(100_000);
  const master = new Map<string, { director: string; leftAt: number | null }>();
  const out: Failover[] = [];
  for (const r of rows) {
    const d = r.details as TransitionDetails;
    const key = `${r.clusterId}/${r.instance}`;
    const received = r.receivedAt.getTime();
    const at = Math.min(r.agentTime?.getTime() ?? received, received);
    const cur = master.get(key);
    if (d.from === 'master' && cur?.director === r.director) {
      master.set(key, { director: r.director, leftAt: at });
      continue;
    }
    if (d.to !== 'master') continue;
    if (cur?.director !== r.director) {
      const claimed = cur?.leftAt ?? (d.lastAdvertAt ? Date.parse(d.lastAdvertAt) : null);
      const heard = claimed === null ? null : Math.min(claimed, at);
      if ((!q.since || at >= q.since.getTime()) && cur) {
        out.push({
          site: r.site, cluster: r.cluster, clusterId: r.clusterId!, instance: r.instance ?? '',
          oldMaster: cur.director, newMaster: r.director, cause: d.reason ?? 'unknown',
          at: new Date(at).toISOString(), gapMs: heard !== null && Number.isFinite(heard) ? Math.max(0, at - heard) : null, eventId: r.id,
        });
      }
    }
    master.set(key, { director: r.director, leftAt: null });
  }
  out.reverse();
  return out.slice(0, q.limit ?? 100);
}
