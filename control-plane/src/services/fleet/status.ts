import { asc, eq, inArray } from 'drizzle-orm';
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
  const directorRows = clusterIds.length ? await ctx.db.select().from(directors).where(inArray(directors.clusterId, clusterIds)).orderBy(asc(directors.name)) : [];

  return {
    generatedAt: new Date().toISOString(),
    sites: siteRows.map((site) => ({
      id: site.id,
      name: site.name,
      clusters: clusterRows
        .filter((c) => c.siteId === site.id)
        .map((c) => {
          const ds = directorRows.filter((d) => d.clusterId === c.id);
          const instances = new Map<string, string[]>();
          for (const d of ds) {
            for (const i of reportedInstances(d.reportedState)) {
              const masters = instances.get(i.name) ?? [];
              // Agents report keepalived's words (MASTER); only fresh reports count (a silent director's last word is stale).
              if (i.state.toUpperCase() === 'MASTER' && isFresh(d.lastSeenAt)) masters.push(d.name);
              instances.set(i.name, masters);
            }
          }
          return {
            id: c.id,
            name: c.name,
            segment: c.segment,
            desiredRevision: c.currentRevision,
            directors: ds.map((d) => ({
              name: d.name,
              enrolled: d.credentialHash !== null,
              lastSeenAt: d.lastSeenAt,
              appliedRevision: d.appliedRevision,
              drift: c.currentRevision !== null && d.appliedRevision !== c.currentRevision,
              instances: reportedInstances(d.reportedState),
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
