import { clusters } from '../../../../schema/src/tables/index.ts';
import { rethrowUnique, requireRole, withTransaction, type ServiceContext } from '../context.ts';
import { appendEvent } from '../events/append.ts';
import { getSiteOrThrow } from '../internal.ts';
import { CreateClusterInput } from './schemas.ts';

export async function createCluster(ctx: ServiceContext, siteRef: string, raw: CreateClusterInput) {
  requireRole(ctx, 'operator');
  const input = CreateClusterInput.parse(raw);
  return withTransaction(ctx, async (tx) => {
    const site = await getSiteOrThrow(tx, siteRef);
    const [row] = await tx.db
      .insert(clusters)
      .values({ siteId: site.id, name: input.name, segment: input.segment ?? null, description: input.description ?? '' })
      .returning()
      .catch((e: unknown) => rethrowUnique(e, `site "${site.name}" already has a cluster named "${input.name}"`));
    await appendEvent(tx, { kind: 'cluster.created', siteId: site.id, clusterId: row!.id, details: { name: row!.name, segment: row!.segment } });
    return { ...row!, siteName: site.name };
  });
}
