import { sites } from '../../../../schema/src/tables/index.ts';
import { rethrowUnique, requireRole, requireUnscoped, withTransaction, type ServiceContext } from '../context.ts';
import { appendEvent } from '../events/append.ts';
import { CreateSiteInput } from './schemas.ts';

export async function createSite(ctx: ServiceContext, raw: CreateSiteInput) {
  requireRole(ctx, 'admin');
  requireUnscoped(ctx);
  const input = CreateSiteInput.parse(raw);
  return withTransaction(ctx, async (tx) => {
    const [site] = await tx.db
      .insert(sites)
      .values({ name: input.name, description: input.description ?? '' })
      .returning()
      .catch((e: unknown) => rethrowUnique(e, `a site named "${input.name}" already exists`));
    await appendEvent(tx, { kind: 'site.created', siteId: site!.id, details: { name: site!.name } });
    return site!;
  });
}
