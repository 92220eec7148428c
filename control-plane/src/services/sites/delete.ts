import { eq } from 'drizzle-orm';
import { clusters, sites } from '../../../../schema/src/tables/index.ts';
import { conflict } from '../../errors.ts';
import { requireRole, requireUnscoped, withTransaction, type ServiceContext } from '../context.ts';
import { appendEvent } from '../events/append.ts';
import { getSiteOrThrow } from '../internal.ts';

/** Deletes an empty site. A site with clusters is a CONFLICT: delete its clusters first. */
export async function deleteSite(ctx: ServiceContext, ref: string) {
  requireRole(ctx, 'admin');
  requireUnscoped(ctx);
  return withTransaction(ctx, async (tx) => {
    const site = await getSiteOrThrow(tx, ref);
    const [child] = await tx.db.select({ id: clusters.id }).from(clusters).where(eq(clusters.siteId, site.id)).limit(1);
    if (child) throw conflict(`site "${site.name}" still has clusters; delete them first`);
    await tx.db.delete(sites).where(eq(sites.id, site.id));
    await appendEvent(tx, { kind: 'site.deleted', siteId: site.id, details: { name: site.name } });
    return site;
  });
}
