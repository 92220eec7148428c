import { eq, sql } from 'drizzle-orm';
import { apiTokens, clusters, directors, enrollmentTokens } from '../../../../schema/src/tables/index.ts';
import type { Db } from '../../db.ts';
import { AppError } from '../../errors.ts';
import type { Actor } from '../context.ts';
import { hashSecret } from './secrets.ts';
import type { TokenCache } from './token-cache.ts';

export type ApiTokenRow = typeof apiTokens.$inferSelect;

const unauthorized = (message: string) => new AppError('UNAUTHORIZED', message);

/**
 * Every request authenticates: the three lookups are built once per database (drizzle's query
 * builder costs more than the query itself when hundreds of requests arrive at once).
 */
function prepared(db: Db) {
  let p = statements.get(db);
  if (!p) {
    p = {
      token: db.select().from(apiTokens).where(eq(apiTokens.secretHash, sql.placeholder('hash'))).limit(1).prepare('vigil_auth_token'),
      agent: db
        .select({
          id: directors.id, name: directors.name, clusterId: directors.clusterId, siteId: clusters.siteId,
          currentRevision: clusters.currentRevision, adminVersion: clusters.adminVersion, maintenance: directors.maintenance, appliedRevision: directors.appliedRevision,
        })
        .from(directors)
        .innerJoin(clusters, eq(clusters.id, directors.clusterId))
        .where(eq(directors.credentialHash, sql.placeholder('hash')))
        .limit(1)
        .prepare('vigil_auth_agent'),
      enrollment: db.select().from(enrollmentTokens).where(eq(enrollmentTokens.secretHash, sql.placeholder('hash'))).limit(1).prepare('vigil_auth_enrollment'),
    };
    statements.set(db, p);
  }
  return p;
}
const statements = new WeakMap<Db, { token: { execute(v: { hash: string }): Promise<(typeof apiTokens.$inferSelect)[]> }; agent: { execute(v: { hash: string }): Promise<{ id: string; name: string; clusterId: string; siteId: string; currentRevision: number | null; adminVersion: number; maintenance: boolean; appliedRevision: number | null }[]> }; enrollment: { execute(v: { hash: string }): Promise<(typeof enrollmentTokens.$inferSelect)[]> } }>();

/**
 * Resolves a bearer secret to an actor. Unknown, expired and revoked tokens are all 401 with a
 * message saying which, so an operator can tell a typo from an expiry. With `cache`, an API
 * token read in the last second is not read again (token-cache.ts says what that allows).
 */
export async function authenticateToken(db: Db, secret: string | undefined, cache?: TokenCache<ApiTokenRow>): Promise<Actor> {
  if (!secret) throw unauthorized('missing bearer token: send "Authorization: Bearer <token>"');
  if (secret.startsWith('vga_')) return authenticateAgent(db, secret);
  if (secret.startsWith('vge_')) return authenticateEnrollment(db, secret);
  if (!secret.startsWith('vgl_')) throw unauthorized('not a Vigil credential (API tokens start with "vgl_", agent credentials with "vga_", enrollment tokens with "vge_")');
  const hash = hashSecret(secret);
  let row = cache?.get(hash, Date.now());
  if (!row) {
    const epoch = cache?.readEpoch;
    [row] = await prepared(db).token.execute({ hash });
    if (!row) throw unauthorized('unknown token');
    if (row.revokedAt) throw unauthorized('token has been revoked');
    cache?.set(hash, row, Date.now(), epoch);
  }
  if (row.expiresAt && row.expiresAt.getTime() <= Date.now()) throw unauthorized('token has expired');
  // last_used_at is advisory; update it at most once a minute to keep reads cheap.
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > 60_000) {
    await db.update(apiTokens).set({ lastUsedAt: sql`now()` }).where(eq(apiTokens.id, row.id));
    row.lastUsedAt = new Date(); // the cached row too: one update a minute, not one a request
  }
  return { type: 'token', tokenId: row.id, name: row.name, role: row.role, siteId: row.siteId, expiresAt: row.expiresAt };
}

/** A director's agent credential: only its hash is stored, on the director row. */
async function authenticateAgent(db: Db, secret: string): Promise<Actor> {
  const credentialHash = hashSecret(secret);
  const [row] = await prepared(db).agent.execute({ hash: credentialHash });
  if (!row) throw unauthorized('unknown agent credential (re-enroll the director with a fresh enrollment token)');
  return {
    type: 'agent', directorId: row.id, name: row.name, clusterId: row.clusterId, siteId: row.siteId, credentialHash,
    snapshot: { currentRevision: row.currentRevision, adminVersion: Number(row.adminVersion), maintenance: row.maintenance, appliedRevision: row.appliedRevision },
  };
}

/** An enrollment token: valid while not revoked, not expired and not used up. */
async function authenticateEnrollment(db: Db, secret: string): Promise<Actor> {
  const [row] = await prepared(db).enrollment.execute({ hash: hashSecret(secret) });
  if (!row) throw unauthorized('unknown enrollment token');
  if (row.revokedAt) throw unauthorized('enrollment token has been revoked');
  if (row.expiresAt.getTime() <= Date.now()) throw unauthorized('enrollment token has expired');
  if (row.uses >= row.maxUses) throw unauthorized(`enrollment token is used up (${row.maxUses} uses)`);
  return { type: 'enrollment', tokenId: row.id, siteId: row.siteId, clusterName: row.clusterName, directorName: row.directorName };
}
