import { desc, eq } from 'drizzle-orm';
import { enrollmentTokens } from '../../../../schema/src/tables/index.ts';
import { notFound, validation } from '../../errors.ts';
import { actorLabel, requireRole, withTransaction, type ServiceContext } from '../context.ts';
import { appendEvent } from '../events/append.ts';
import { getSiteOrThrow, isUuid } from '../internal.ts';
import { CreateEnrollmentTokenInput } from './schemas.ts';
import { hashSecret, newSecret } from './secrets.ts';

type EnrollmentRow = typeof enrollmentTokens.$inferSelect;
const publicEnrollment = ({ secretHash: _omit, ...rest }: EnrollmentRow) => rest;

/** Creates an enrollment token for a site; the secret is returned once. */
export async function createEnrollmentToken(ctx: ServiceContext, siteRef: string, raw: CreateEnrollmentTokenInput) {
  requireRole(ctx, 'operator');
  const input = CreateEnrollmentTokenInput.parse(raw);
  if ((input.cluster === undefined) !== (input.director === undefined)) {
    throw validation('a director-bound enrollment token names both the cluster and the director', [{ path: ['body', input.cluster === undefined ? 'cluster' : 'director'], message: 'give both "cluster" and "director", or neither' }]);
  }
  return withTransaction(ctx, async (tx) => {
    const site = await getSiteOrThrow(tx, siteRef);
    const secret = newSecret('vge');
    const [row] = await tx.db
      .insert(enrollmentTokens)
      .values({
        siteId: site.id,
        description: input.description ?? '',
        clusterName: input.cluster ?? null,
        directorName: input.director ?? null,
        secretHash: hashSecret(secret),
        maxUses: input.maxUses,
        expiresAt: new Date(Date.now() + input.expiresInSeconds * 1000),
        createdBy: actorLabel(tx.actor),
      })
      .returning();
    await appendEvent(tx, { kind: 'enrollment_token.created', siteId: site.id, details: { tokenId: row!.id, maxUses: row!.maxUses, ...(input.director ? { cluster: input.cluster, director: input.director } : {}) } });
    return { token: publicEnrollment(row!), secret };
  });
}

export async function listEnrollmentTokens(ctx: ServiceContext, siteRef: string) {
  requireRole(ctx, 'operator');
  const site = await getSiteOrThrow(ctx, siteRef);
  const rows = await ctx.db.select().from(enrollmentTokens).where(eq(enrollmentTokens.siteId, site.id)).orderBy(desc(enrollmentTokens.createdAt));
  return rows.map(publicEnrollment);
}

export async function revokeEnrollmentToken(ctx: ServiceContext, siteRef: string, id: string) {
  requireRole(ctx, 'operator');
  return withTransaction(ctx, async (tx) => {
    const site = await getSiteOrThrow(tx, siteRef);
    if (!isUuid(id)) throw notFound(`enrollment token "${id}"`);
    const [row] = await tx.db.select().from(enrollmentTokens).where(eq(enrollmentTokens.id, id)).limit(1);
    if (!row || row.siteId !== site.id) throw notFound(`enrollment token "${id}"`);
    if (row.revokedAt) return publicEnrollment(row);
    const [updated] = await tx.db.update(enrollmentTokens).set({ revokedAt: new Date() }).where(eq(enrollmentTokens.id, id)).returning();
    await appendEvent(tx, { kind: 'enrollment_token.revoked', siteId: site.id, details: { tokenId: id } });
    return publicEnrollment(updated!);
  });
}
