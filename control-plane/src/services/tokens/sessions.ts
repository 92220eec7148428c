/**
 * What long-lived sessions (SSE streams, agent WebSockets) need from the database: which of
 * their credentials are still valid, in one query per kind for every open session of the
 * process, and the NOTIFY that tells every replica a credential changed.
 */
import { and, gt, inArray, isNull, or, sql } from 'drizzle-orm';
import { apiTokens } from '../../../../schema/src/tables/index.ts';
import { rowsOf, type Db } from '../../db.ts';

/** The Postgres channel for credential changes; payload `token:<id>` or `director:<id>`. */
export const CREDENTIALS_CHANNEL = 'vigil_credentials';

/** Tells every replica (at commit) that a token or a director's credential changed. */
export async function notifyCredentialChange(db: Db, subject: `token:${string}` | `director:${string}`): Promise<void> {
  await db.execute(sql`select pg_notify(${CREDENTIALS_CHANNEL}, ${subject})`);
}

/** Of `ids`, the API tokens that are neither revoked nor expired. */
export async function liveTokens(db: Db, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db
    .select({ id: apiTokens.id })
    .from(apiTokens)
    .where(and(inArray(apiTokens.id, ids), isNull(apiTokens.revokedAt), or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, sql`now()`))));
  return new Set(rows.map((r) => r.id));
}

/**
 * Of `ids`, the directors that still exist, with their current credential hash. The ids travel
 * as one array parameter: ten thousand connected agents are re-checked every second, and a
 * query builder over ten thousand parameters cost 30–50 ms of the event loop each time.
 */
export async function directorCredentials(db: Db, ids: string[]): Promise<Map<string, string | null>> {
  if (ids.length === 0) return new Map();
  const rows = rowsOf<{ id: string; hash: string | null }>(await db.execute(sql`select id, credential_hash as hash from directors where id = any(${`{${ids.join(',')}}`}::uuid[])`));
  return new Map(rows.map((r) => [r.id, r.hash]));
}
