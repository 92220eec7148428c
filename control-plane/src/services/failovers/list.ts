/**
 * Failovers, derived from the audit log: each `vrrp.transition` to MASTER on a director of a
 * cluster, paired with who was master before (the last director that became MASTER for that
 * instance) and the moment the old master was last heard (its own leave event, or the last
 * advert the new master received from it, which the agent reports with the transition).
 * The gap is the takeover time minus that moment: what clients saw with no master. An interval
 * with no holder is recorded even when the same director wins back (kind `outage`).
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
  /**
   * `failover`: another director took over. `outage`: the same director holds the instance
   * again after an interval with no holder (a restart, a reload that restarted the instance,
   * maintenance off and on), which clients saw just the same.
   */
  kind: 'failover' | 'outage';
  site: string;
  cluster: string;
  clusterId: string;
  instance: string;
  oldMaster: string | null;
  newMaster: string;
  cause: string;
  at: string;
  /**
   * ms with no holder: from the old holder's VIPs leaving (its exit, else its last advert the
   * new master heard) to the new holder's VIPs in place; null when unknown (a crash with no
   * one else to hear its last advert).
   */
  gapMs: number | null;
  /** When the interval with no holder began, when known. */
  noHolderSince: string | null;
  eventId: number;
}

interface TransitionDetails { from?: string; to?: string; reason?: string; lastAdvertAt?: string | null; vipsAt?: string | null; incarnation?: string }

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
  // Per instance: who holds it now, since which run of its agent (incarnation), and when it
  // stopped holding it if it has left.
  const master = new Map<string, { director: string; incarnation: string | undefined; leftAt: number | null }>();
  const out: Failover[] = [];
  for (const r of rows) {
    const d = r.details as TransitionDetails;
    const key = `${r.clusterId}/${r.instance}`;
    const received = r.receivedAt.getTime();
    const claim = (iso: string | null | undefined) => (iso ? Math.min(Date.parse(iso), received) : NaN);
    const at = Math.min(r.agentTime?.getTime() ?? received, received);
    // The VIPs' own moment (kernel confirmation), when the agent reported it.
    const vipsAt = Number.isFinite(claim(d.vipsAt)) ? claim(d.vipsAt) : at;
    const cur = master.get(key);
    if (d.from === 'master' && cur?.director === r.director) {
      master.set(key, { ...cur, leftAt: vipsAt });
      continue;
    }
    if (d.to !== 'master') continue;
    const record = (kind: Failover['kind'], since: number | null) => {
      if (q.since && at < q.since.getTime()) return;
      const from = since !== null && Number.isFinite(since) ? Math.min(since, vipsAt) : null;
      out.push({
        kind, site: r.site, cluster: r.cluster, clusterId: r.clusterId!, instance: r.instance ?? '',
        oldMaster: cur!.director, newMaster: r.director, cause: d.reason ?? 'unknown',
        at: new Date(at).toISOString(), gapMs: from === null ? null : Math.max(0, vipsAt - from),
        noHolderSince: from === null ? null : new Date(from).toISOString(), eventId: r.id,
      });
    };
    if (cur && cur.director !== r.director) {
      record('failover', cur.leftAt ?? (d.lastAdvertAt ? claim(d.lastAdvertAt) : null));
    } else if (cur && cur.leftAt !== null) {
      record('outage', cur.leftAt);
    } else if (cur && d.incarnation !== undefined && cur.incarnation !== undefined && d.incarnation !== cur.incarnation) {
      // Took over again in a new run with no leave in between: it crashed; the gap is unknown.
      record('outage', null);
    }
    master.set(key, { director: r.director, incarnation: d.incarnation, leftAt: null });
  }
  out.reverse();
  return out.slice(0, q.limit ?? 100);
}
