import { desc, eq, isNull, and } from 'drizzle-orm';
import { apiTokens, sites } from '../../../../schema/src/tables/index.ts';
import { forbidden, notFound } from '../../errors.ts';
import { actorLabel, requireRole, scopedSite, withTransaction, type ServiceContext } from '../context.ts';
import { appendEvent } from '../events/append.ts';
import { getSiteOrThrow, isUuid } from '../internal.ts';
import { CreateTokenInput } from './schemas.ts';
import { hashSecret, newSecret } from './secrets.ts';
import { notifyCredentialChange } from './sessions.ts';

type TokenRow = typeof apiTokens.$inferSelect;

export function publicToken(t: TokenRow, siteName: string | null) {
  const { secretHash: _omit, ...rest } = t;
  return { ...rest, site: siteName };
}

/** Creates an API token and returns its secret once; only the hash is stored. */
export async function createToken(ctx: ServiceContext, raw: CreateTokenInput) {
  requireRole(ctx, 'admin');
  const input = CreateTokenInput.parse(raw);
  return withTransaction(ctx, async (tx) => {
    const site = input.site ? await getSiteOrThrow(tx, input.site) : null;
    const scope = scopedSite(tx);
    // A site-scoped admin may only mint tokens for its own site, never fleet-wide ones.
    if (scope && !site) throw forbidden('a site-scoped token can only create tokens scoped to its own site');
    const secret = newSecret('vgl');
    const [row] = await tx.db
      .insert(apiTokens)
      .values({
        name: input.name,
        role: input.role,
        siteId: site?.id ?? null,
        secretHash: hashSecret(secret),
        expiresAt: input.expiresInSeconds ? new Date(Date.now() + input.expiresInSeconds * 1000) : null,
        createdBy: actorLabel(tx.actor),
      })
      .returning();
    await appendEvent(tx, { kind: 'token.created', siteId: site?.id ?? null, details: { tokenId: row!.id, name: row!.name, role: row!.role } });
    return { token: publicToken(row!, site?.name ?? null), secret };
  });
}

export async function listTokens(ctx: ServiceContext) {
  requireRole(ctx, 'admin');
  const scope = scopedSite(ctx);
  const rows = await ctx.db
    .select({ token: apiTokens, siteName: sites.name })
    .from(apiTokens)
    .leftJoin(sites, eq(sites.id, apiTokens.siteId))
    .where(scope ? eq(apiTokens.siteId, scope) : undefined)
    .orderBy(desc(apiTokens.createdAt));
  return rows.map((r) => publicToken(r.token, r.siteName));
}

/** Revokes a token (idempotent). A revoked token fails authentication with 401. */
export async function revokeToken(ctx: ServiceContext, id: string) {
  requireRole(ctx, 'admin');
  return withTransaction(ctx, async (tx) => {
    if (!isUuid(id)) throw notFound(`token "${id}"`);
    const [row] = await tx.db.select().from(apiTokens).where(eq(apiTokens.id, id)).limit(1);
    const scope = scopedSite(tx);
    if (!row || (scope && row.siteId !== scope)) throw notFound(`token "${id}"`);
    if (row.revokedAt) return publicToken(row, null);
    const [updated] = await tx.db
      .update(apiTokens)
      .set({ revokedAt: new Date() })
      .where(and(eq(apiTokens.id, id), isNull(apiTokens.revokedAt)))
      .returning();
    await appendEvent(tx, { kind: 'token.revoked', siteId: row.siteId, details: { tokenId: row.id, name: row.name } });
    // Every replica closes this token's open streams at commit (sessions.ts).
    await notifyCredentialChange(tx.db, `token:${row.id}`);
    return publicToken(updated ?? row, null);
  });
}
