import { asc, eq, inArray, sql } from 'drizzle-orm';
import { clusters, directors, sites } from '../../../../schema/src/tables/index.ts';
import { requireRole, scopedSite, type ServiceContext } from '../context.ts';
import { isFresh, reportedInstances } from '../agents/reported.ts';

/**
 * The fleet at a glance: per site, its clusters and directors, the desired vs applied
 * revision (drift), and who is master of each instance according to the agents' reports.
 * Two directors claiming MASTER for one instance are listed under `masters` (split brain).
 */
export async function fleetStatus(ctx: ServiceContext) {
  requireRole(ctx, 'viewer');
  const scope = scopedSite(ctx);
  const siteRows = await ctx.db.select().from(sites).where(scope ? eq(sites.id, scope) : undefined).orderBy(asc(sites.name));
  const siteIds = siteRows.map((s) => s.id);
  const clusterRows = siteIds.length ? await ctx.db.select().from(clusters).where(inArray(clusters.siteId, siteIds)).orderBy(asc(clusters.name)) : [];
  const clusterIds = clusterRows.map((c) => c.id);
  const directorRows = clusterIds.length
    ? await ctx.db
      .select({ clusterId: directors.clusterId, name: directors.name, enrolled: sql<boolean>`${directors.credentialHash} is not null`, lastSeenAt: directors.lastSeenAt, appliedRevision: directors.appliedRevision, reportedState: directors.reportedState })
      .from(directors)
      .where(inArray(directors.clusterId, clusterIds))
      .orderBy(asc(directors.name))
    : [];
  // Grouped once (a fleet of 2,000 directors in 200 clusters: no per-cluster scans), each
  // director's report parsed once.
  const byCluster = new Map<string, typeof directorRows>();
  for (const d of directorRows) {
    const list = byCluster.get(d.clusterId);
    if (list) list.push(d);
    else byCluster.set(d.clusterId, [d]);
  }
  const bySite = new Map<string, typeof clusterRows>();
  for (const c of clusterRows) {
    const list = bySite.get(c.siteId);
    if (list) list.push(c);
    else bySite.set(c.siteId, [c]);
  }
  const now = Date.now();

  return {
    generatedAt: new Date(now).toISOString(),
    sites: siteRows.map((site) => ({
      id: site.id,
      name: site.name,
      clusters: (bySite.get(site.id) ?? []).map((c) => {
        const ds = (byCluster.get(c.id) ?? []).map((d) => ({ row: d, instances: reportedInstances(d.reportedState) }));
        const instances = new Map<string, string[]>();
        for (const { row: d, instances: reported } of ds) {
          for (const i of reported) {
            const masters = instances.get(i.name) ?? [];
            // Agents report keepalived's words (MASTER); only fresh reports count (a silent director's last word is stale).
            if (i.state.toUpperCase() === 'MASTER' && isFresh(d.lastSeenAt, now)) masters.push(d.name);
            instances.set(i.name, masters);
          }
        }
        return {
          id: c.id,
          name: c.name,
          segment: c.segment,
          desiredRevision: c.currentRevision,
          directors: ds.map(({ row: d, instances: reported }) => ({
            name: d.name,
            enrolled: d.enrolled,
            lastSeenAt: d.lastSeenAt,
            appliedRevision: d.appliedRevision,
            drift: c.currentRevision !== null && d.appliedRevision !== c.currentRevision,
            instances: reported,
          })),
          instances: [...instances.entries()].map(([name, masters]) => ({
            name,
            master: masters.length === 1 ? masters[0]! : null,
            masters,
            splitBrain: masters.length > 1,
          })),
        };
      }),
    })),
  };
}
