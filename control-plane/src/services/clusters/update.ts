import { eq } from 'drizzle-orm';
import { clusters } from '../../../../schema/src/tables/index.ts';
import { requireRole, withTransaction, type ServiceContext } from '../context.ts';
import { appendEvent } from '../events/append.ts';
import { getClusterOrThrow } from '../internal.ts';
import { UpdateClusterInput } from './schemas.ts';

export async function updateCluster(ctx: ServiceContext, id: string, raw: UpdateClusterInput) {
  requireRole(ctx, 'operator');
  const input = UpdateClusterInput.parse(raw);
  return withTransaction(ctx, async (tx) => {
    const cluster = await getClusterOrThrow(tx, id);
    const patch: Partial<typeof clusters.$inferInsert> = {};
    if (input.segment !== undefined) patch.segment = input.segment;
    if (input.description !== undefined) patch.description = input.description;
    if (Object.keys(patch).length === 0) return cluster;
    const [row] = await tx.db.update(clusters).set(patch).where(eq(clusters.id, cluster.id)).returning();
    await appendEvent(tx, { kind: 'cluster.updated', siteId: cluster.siteId, clusterId: cluster.id, details: { changes: patch } });
    return { ...row!, siteName: cluster.siteName };
  });
}
