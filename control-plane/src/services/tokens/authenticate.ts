import { eq, sql } from 'drizzle-orm';
import { apiTokens, clusters, directors, enrollmentTokens } from '../../../../schema/src/tables/index.ts';
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
  if (secret.startsWith('vga_')) return authenticateAgent(db, secret);
  if (secret.startsWith('vge_')) return authenticateEnrollment(db, secret);
  if (!secret.startsWith('vgl_')) throw unauthorized('not a Vigil credential (API tokens start with "vgl_", agent credentials with "vga_", enrollment tokens with "vge_")');
  const [row] = await db.select().from(apiTokens).where(eq(apiTokens.secretHash, hashSecret(secret))).limit(1);
  if (!row) throw unauthorized('unknown token');
  if (row.revokedAt) throw unauthorized('token has been revoked');
  if (row.expiresAt && row.expiresAt.getTime() <= Date.now()) throw unauthorized('token has expired');
  // last_used_at is advisory; update it at most once a minute to keep reads cheap.
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > 60_000) {
    await db.update(apiTokens).set({ lastUsedAt: sql`now()` }).where(eq(apiTokens.id, row.id));
  }
  return { type: 'token', tokenId: row.id, name: row.name, role: row.role, siteId: row.siteId, expiresAt: row.expiresAt };
}

/** A director's agent credential: only its hash is stored, on the director row. */
async function authenticateAgent(db: Db, secret: string): Promise<Actor> {
  const credentialHash = hashSecret(secret);
  const [row] = await db
    .select({ id: directors.id, name: directors.name, clusterId: directors.clusterId, siteId: clusters.siteId })
    .from(directors)
    .innerJoin(clusters, eq(clusters.id, directors.clusterId))
    .where(eq(directors.credentialHash, credentialHash))
    .limit(1);
  if (!row) throw unauthorized('unknown agent credential (re-enroll the director with a fresh enrollment token)');
  return { type: 'agent', directorId: row.id, name: row.name, clusterId: row.clusterId, siteId: row.siteId, credentialHash };
}

/** An enrollment token: valid while not revoked, not expired and not used up. */
async function authenticateEnrollment(db: Db, secret: string): Promise<Actor> {
  const [row] = await db.select().from(enrollmentTokens).where(eq(enrollmentTokens.secretHash, hashSecret(secret))).limit(1);
  if (!row) throw unauthorized('unknown enrollment token');
  if (row.revokedAt) throw unauthorized('enrollment token has been revoked');
  if (row.expiresAt.getTime() <= Date.now()) throw unauthorized('enrollment token has expired');
  if (row.uses >= row.maxUses) throw unauthorized(`enrollment token is used up (${row.maxUses} uses)`);
  return { type: 'enrollment', tokenId: row.id, siteId: row.siteId, clusterName: row.clusterName, directorName: row.directorName };
}
