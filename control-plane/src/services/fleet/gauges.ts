/**
 * The fleet as numbers, for the control plane's /metrics: per director whether it reports
 * (fresh), how old its last report is, whether it runs the desired revision, maintenance; per
 * instance how many directors claim MASTER by a fresh report (0 none, 1 healthy, 2+ split brain).
 * One read of the three tables.
 */
import { eq } from 'drizzle-orm';
import { clusters, directors, sites } from '../../../../schema/src/tables/index.ts';
import { isFresh, reportedInstances } from '../agents/reported.ts';
import { requireRole, scopedSite, type ServiceContext } from '../context.ts';

export interface DirectorGauge {
  site: string;
  cluster: string;
  director: string;
  up: boolean;
  /** Seconds since the last report; undefined when it never reported. */
  ageSeconds: number | undefined;
  drift: boolean;
  maintenance: boolean;
  enrolled: boolean;
  appliedRevision: number | null;
}

export interface InstanceGauge { site: string; cluster: string; instance: string; masters: number }
export interface ClusterGauge { site: string; cluster: string; desiredRevision: number | null }

export interface FleetGauges { directors: DirectorGauge[]; instances: InstanceGauge[]; clusters: ClusterGauge[] }

/** The fleet as numbers (viewer; a site-scoped token sees its site only). */
export async function fleetGauges(ctx: ServiceContext, now = Date.now()): Promise<FleetGauges> {
  requireRole(ctx, 'viewer');
  const scope = scopedSite(ctx);
  const rows = await ctx.db
    .select({
      site: sites.name, cluster: clusters.name, clusterId: clusters.id, desired: clusters.currentRevision,
      director: directors.name, lastSeenAt: directors.lastSeenAt, applied: directors.appliedRevision, state: directors.reportedState,
      maintenance: directors.maintenance, credential: directors.credentialHash,
    })
    .from(clusters)
    .innerJoin(sites, eq(sites.id, clusters.siteId))
    .leftJoin(directors, eq(directors.clusterId, clusters.id))
    .where(scope ? eq(clusters.siteId, scope) : undefined);
  const out: FleetGauges = { directors: [], instances: [], clusters: [] };
  const seenClusters = new Set<string>();
  const masters = new Map<string, InstanceGauge>();
  for (const r of rows) {
    if (!seenClusters.has(r.clusterId)) {
      seenClusters.add(r.clusterId);
      out.clusters.push({ site: r.site, cluster: r.cluster, desiredRevision: r.desired });
    }
    if (r.director === null) continue;
    const fresh = isFresh(r.lastSeenAt, now);
    out.directors.push({
      site: r.site, cluster: r.cluster, director: r.director, up: fresh,
      ageSeconds: r.lastSeenAt ? Math.max(0, (now - r.lastSeenAt.getTime()) / 1000) : undefined,
      drift: r.desired !== null && r.applied !== r.desired, maintenance: r.maintenance ?? false, enrolled: r.credential !== null, appliedRevision: r.applied,
    });
    for (const i of reportedInstances(r.state)) {
      const key = `${r.clusterId}\u0000${i.name}`;
      const g = masters.get(key) ?? { site: r.site, cluster: r.cluster, instance: i.name, masters: 0 };
      if (fresh && i.state.toUpperCase() === 'MASTER') g.masters++;
      masters.set(key, g);
    }
  }
  out.instances = [...masters.values()];
  return out;
}
