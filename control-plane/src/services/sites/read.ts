import { asc, eq } from 'drizzle-orm';
import { sites } from '../../../../schema/src/tables/index.ts';
import { requireRole, scopedSite, type ServiceContext } from '../context.ts';
import { getSiteOrThrow } from '../internal.ts';

export async function listSites(ctx: ServiceContext) {
  requireRole(ctx, 'viewer');
  const scope = scopedSite(ctx);
  return ctx.db
    .select()
    .from(sites)
    .where(scope ? eq(sites.id, scope) : undefined)
    .orderBy(asc(sites.name));
}

export async function getSite(ctx: ServiceContext, ref: string) {
  requireRole(ctx, 'viewer');
  return getSiteOrThrow(ctx, ref);
}
