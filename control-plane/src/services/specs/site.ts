/**
 * A site as the fleet rules see it: every cluster with its current spec (parsed once per
 * revision, parsed.ts) and one index of segments and VIPs across them (schema/src/fleet), so a
 * new spec is checked against the site in time proportional to its own size, and a change to
 * many clusters at once builds the index once.
 */
import { and, asc, eq, sql } from 'drizzle-orm';
import { buildSiteIndex, type FleetSite } from '../../../../schema/src/fleet/index.ts';
import type { ClusterSpec } from '../../../../schema/src/spec/cluster.ts';
import { clusters, specRevisions } from '../../../../schema/src/tables/index.ts';
import type { ServiceContext } from '../context.ts';
import { parsedSpec } from './parsed.ts';

export interface SiteCluster {
  id: string;
  name: string;
  segment: string;
  currentRevision: number | null;
  specHash: string | null;
  spec: ClusterSpec | null;
}

/** Every cluster of the site with its current spec; `lock` takes the clusters' row locks (name order). */
export async function loadSite(ctx: ServiceContext, siteId: string, lock = false): Promise<SiteCluster[]> {
  if (lock) await ctx.db.execute(sql`select id from clusters where site_id = ${siteId} order by name for update`);
  const rows = await ctx.db
    .select({ id: clusters.id, name: clusters.name, segment: clusters.segment, currentRevision: clusters.currentRevision, specHash: specRevisions.specHash, spec: specRevisions.spec })
    .from(clusters)
    .leftJoin(specRevisions, and(eq(specRevisions.clusterId, clusters.id), eq(specRevisions.number, clusters.currentRevision)))
    .where(eq(clusters.siteId, siteId))
    .orderBy(asc(clusters.name));
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    segment: r.segment ?? r.name,
    currentRevision: r.currentRevision,
    specHash: r.specHash ?? null,
    spec: r.currentRevision === null ? null : parsedSpec(r.id, r.currentRevision, r.spec),
  }));
}

/**
 * The fleet-rule view of a site for checking `clusterName`, with `replaced` standing in for the
 * current specs of the clusters being changed (all of them at once, for a site document).
 */
export function fleetSiteFor(site: SiteCluster[], clusterName: string, replaced: Map<string, ClusterSpec>): FleetSite {
  const self = site.find((c) => c.name === clusterName);
  const specs = site.flatMap((c) => {
    const spec = replaced.get(c.name) ?? c.spec;
    return spec ? [{ name: c.name, segment: c.segment, spec }] : [];
  });
  return { cluster: clusterName, segment: self?.segment ?? clusterName, clusters: [], index: buildSiteIndex(specs) };
}

/** One index for many checks: build it once per site document. */
export function siteIndexFor(site: SiteCluster[], replaced: Map<string, ClusterSpec>) {
  return buildSiteIndex(site.flatMap((c) => {
    const spec = replaced.get(c.name) ?? c.spec;
    return spec ? [{ name: c.name, segment: c.segment, spec }] : [];
  }));
}
