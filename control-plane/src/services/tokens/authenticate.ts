import { eq, sql } from 'drizzle-orm';
import { apiTokens } from '../../../../schema/src/tables/index.ts';
import type { Db } from '../../db.ts';
import { AppError } from '../../errors.ts';
import type { Actor } from '../context.ts';
import { hashSecret } from './secrets.ts';

const unauthorized = (message: string) => new AppError('UNAUTHORIZED', message);

/**
 * Resolves a bearer secret to an actor. Unknown, expired and revoked tokens are all 401 with a
 * message saying which, so an operator can tell a typo from an expiry.
 */
export async function authenticateToken(db: Db, secret: string | undefined): Promise<Actor> {
  if (!secret) throw unauthorized('missing bearer token: send "Authorization: Bearer <token>"');
  if (!secret.startsWith('vgl_')) throw unauthorized('not an API token (API tokens start with "vgl_")');
  const [row] = await db.select().from(apiTokens).where(eq(apiTokens.secretHash, hashSecret(secret))).limit(1);
  if (!row) throw unauthorized('unknown token');
  if (row.revokedAt) throw unauthorized('token has been revoked');
  if (row.expiresAt && row.expiresAt.getTime() <= Date.now()) throw unauthorized('token has expired');
  // last_used_at is advisory; update it at most once a minute to keep reads cheap.
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > 60_000) {
    await db.update(apiTokens).set({ lastUsedAt: sql`now()` }).where(eq(apiTokens.id, row.id));
  }
  return { type: 'token', tokenId: row.id, name: row.name, role: row.role, siteId: row.siteId };
}
