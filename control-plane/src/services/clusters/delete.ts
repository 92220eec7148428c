import { eq } from 'drizzle-orm';
import { clusters, directors, specRevisions } from '../../../../schema/src/tables/index.ts';
import { conflict } from '../../errors.ts';
import { requireRole, withTransaction, type ServiceContext } from '../context.ts';
import { appendEvent } from '../events/append.ts';
import { getClusterOrThrow } from '../internal.ts';

/**
 * Deletes a cluster that has no directors and no spec history. Spec revisions are immutable
 * audit material, so a cluster that ever had a spec is kept.
 */
export async function deleteCluster(ctx: ServiceContext, id: string) {
  requireRole(ctx, 'operator');
  return withTransaction(ctx, async (tx) => {
    const cluster = await getClusterOrThrow(tx, id);
    const [d] = await tx.db.select({ id: directors.id }).from(directors).where(eq(directors.clusterId, cluster.id)).limit(1);
    if (d) throw conflict(`cluster "${cluster.name}" still has directors; delete them first`);
    const [r] = await tx.db.select({ id: specRevisions.id }).from(specRevisions).where(eq(specRevisions.clusterId, cluster.id)).limit(1);
    if (r) throw conflict(`cluster "${cluster.name}" has spec revisions, which are kept for the audit trail; it cannot be deleted`);
    await tx.db.delete(clusters).where(eq(clusters.id, cluster.id));
    await appendEvent(tx, { kind: 'cluster.deleted', siteId: cluster.siteId, clusterId: cluster.id, details: { name: cluster.name } });
    return cluster;
  });
}
