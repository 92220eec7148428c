/**
 * Fetch-or-throw helpers shared by the verbs. Each one applies the actor's site scope, so a
 * verb that loads its target through these cannot leak another site's data. A site-scoped
 * actor addressing another site's object gets the same 404 as for one that does not exist:
 * a 403 would tell it which other sites and clusters exist.
 */
import { and, eq } from 'drizzle-orm';
import { clusters, directors, sites } from '../../../schema/src/tables/index.ts';
import { notFound } from '../errors.ts';
import { scopedSite, type ServiceContext } from './context.ts';

const inScope = (ctx: ServiceContext, siteId: string) => {
  const scope = scopedSite(ctx);
  return scope === null || scope === siteId;
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: string) => UUID.test(s);

export type SiteRow = typeof sites.$inferSelect;
export type ClusterRow = typeof clusters.$inferSelect;
export type DirectorRow = typeof directors.$inferSelect;

/** A site by name or id. */
export async function getSiteOrThrow(ctx: ServiceContext, ref: string): Promise<SiteRow> {
  const [row] = await ctx.db
    .select()
    .from(sites)
    .where(isUuid(ref) ? eq(sites.id, ref) : eq(sites.name, ref))
    .limit(1);
  if (!row || !inScope(ctx, row.id)) throw notFound(`site "${ref}"`);
  return row;
}

export async function getClusterOrThrow(ctx: ServiceContext, id: string): Promise<ClusterRow & { siteName: string }> {
  if (!isUuid(id)) throw notFound(`cluster "${id}"`);
  const [row] = await ctx.db
    .select({ cluster: clusters, siteName: sites.name })
    .from(clusters)
    .innerJoin(sites, eq(sites.id, clusters.siteId))
    .where(eq(clusters.id, id))
    .limit(1);
  if (!row || !inScope(ctx, row.cluster.siteId)) throw notFound(`cluster "${id}"`);
  return { ...row.cluster, siteName: row.siteName };
}

export async function getDirectorOrThrow(ctx: ServiceContext, cluster: ClusterRow, name: string): Promise<DirectorRow> {
  const [row] = await ctx.db
    .select()
    .from(directors)
    .where(and(eq(directors.clusterId, cluster.id), eq(directors.name, name)))
    .limit(1);
  if (!row) throw notFound(`director "${name}" in cluster "${cluster.name}"`);
  return row;
}
