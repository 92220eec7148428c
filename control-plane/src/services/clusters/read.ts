import { asc, eq } from 'drizzle-orm';
import { clusters } from '../../../../schema/src/tables/index.ts';
import { requireRole, type ServiceContext } from '../context.ts';
import { getClusterOrThrow, getSiteOrThrow } from '../internal.ts';

export async function listClusters(ctx: ServiceContext, siteRef: string) {
  requireRole(ctx, 'viewer');
  const site = await getSiteOrThrow(ctx, siteRef);
  const rows = await ctx.db.select().from(clusters).where(eq(clusters.siteId, site.id)).orderBy(asc(clusters.name));
  return rows.map((r) => ({ ...r, siteName: site.name }));
}

export async function getCluster(ctx: ServiceContext, id: string) {
  requireRole(ctx, 'viewer');
  return getClusterOrThrow(ctx, id);
}
