/**
 * What every service verb receives: the database (or the transaction it must join), who is
 * acting, and the request id for logs. Authorization lives in the services (not the routes)
 * so every transport gets the same rules.
 */
import type { Db } from '../db.ts';
import type { ApiRole } from '../../../schema/src/tables/index.ts';
import { AppError, forbidden } from '../errors.ts';
import { settleWithin } from './deadline.ts';

export type Actor =
  | { type: 'token'; tokenId: string; name: string; role: ApiRole; siteId: string | null; expiresAt?: Date | null }
  | { type: 'system'; name: string }
  /** A director's agent (credential `vga_…`): only the /v1/agent routes accept it. */
  | { type: 'agent'; directorId: string; name: string; clusterId: string; siteId: string; credentialHash: string; snapshot?: AgentSnapshot }
  /** An enrollment token (`vge_…`): only POST /v1/agent/enroll accepts it. */
  | { type: 'enrollment'; tokenId: string; siteId: string; clusterName: string | null; directorName: string | null };

/**
 * What authenticating an agent read anyway, as of that moment: its cluster's desired revision
 * and operator-overlay version, and its own flags. The config route uses it instead of reading
 * them again (one query less on the hottest path); a long-poll's later re-checks read afresh.
 */
export interface AgentSnapshot {
  currentRevision: number | null;
  adminVersion: number;
  maintenance: boolean;
  appliedRevision: number | null;
}

export interface ServiceContext {
  db: Db;
  actor: Actor;
  requestId?: string;
}

const rank: Record<ApiRole, number> = { viewer: 0, operator: 1, admin: 2 };

/** Audit-log label for the actor, e.g. `token:ci-deploy` or `system:bootstrap`. */
export function actorLabel(actor: Actor): string {
  switch (actor.type) {
    case 'token': return `token:${actor.name}`;
    case 'system': return `system:${actor.name}`;
    case 'agent': return `agent:${actor.name}`;
    case 'enrollment': return `enrollment:${actor.tokenId}`;
  }
}

/** Throws FORBIDDEN unless the actor holds at least `role`. The system actor holds every role. */
export function requireRole(ctx: ServiceContext, role: ApiRole): void {
  if (ctx.actor.type === 'system') return;
  if (ctx.actor.type === 'agent') throw forbidden('an agent credential can only call the /v1/agent routes; use an API token');
  if (ctx.actor.type === 'enrollment') throw forbidden('an enrollment token can only call POST /v1/agent/enroll; use an API token');
  if (rank[ctx.actor.role] < rank[role]) {
    throw forbidden(`this action needs the ${role} role; the token has ${ctx.actor.role}`);
  }
}

/** Throws FORBIDDEN when a site-scoped token reaches outside its site. */
export function requireSite(ctx: ServiceContext, siteId: string): void {
  if ((ctx.actor.type === 'agent' || ctx.actor.type === 'enrollment') && ctx.actor.siteId !== siteId) throw forbidden('this credential belongs to another site');
  if (ctx.actor.type === 'token' && ctx.actor.siteId !== null && ctx.actor.siteId !== siteId) {
    throw forbidden('this token is scoped to another site');
  }
}

/** Throws FORBIDDEN for site-scoped tokens (fleet-wide actions such as creating sites). */
export function requireUnscoped(ctx: ServiceContext): void {
  if (ctx.actor.type === 'agent' || ctx.actor.type === 'enrollment' || (ctx.actor.type === 'token' && ctx.actor.siteId !== null)) {
    throw forbidden('a site-scoped token cannot perform fleet-wide actions');
  }
}

/** The site a scoped actor is limited to, or null for fleet-wide actors. */
export function scopedSite(ctx: ServiceContext): string | null {
  return ctx.actor.type === 'token' || ctx.actor.type === 'agent' || ctx.actor.type === 'enrollment' ? ctx.actor.siteId : null;
}

/** No transaction of ours takes this long; one that does lost its connection (below). */
export const TX_DEADLINE_MS = 60_000;

/**
 * Runs `fn` in a transaction, joining the caller's if `ctx.db` already is one (drizzle nests
 * as a savepoint), so a verb that writes an audit event commits both or neither.
 *
 * Bounded: postgres.js 3.4.9 can leave a transaction's next statement pending forever when its
 * connection closes between two statements (porsager/postgres#1186); a caller waiting on it
 * (a request, a lock held around it) would wait forever. After TX_DEADLINE_MS it gets
 * UNAVAILABLE; the transaction itself is ended by Postgres (db.ts IDLE_IN_TRANSACTION_MS).
 */
export async function withTransaction<T>(ctx: ServiceContext, fn: (tx: ServiceContext) => Promise<T>, deadlineMs = TX_DEADLINE_MS): Promise<T> {
  return settleWithin(
    ctx.db.transaction(async (tx) => fn({ ...ctx, db: tx as unknown as Db })),
    deadlineMs,
    () => new AppError('UNAVAILABLE', `the database did not finish this change within ${deadlineMs / 1000} s (its connection was lost); it may or may not have been applied: read it back, then retry`, { retryAfterSeconds: 5 }),
  );
}

/** Maps Postgres unique violations (23505) to CONFLICT with a readable message. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; cause?: { code?: string } };
  return e?.code === '23505' || e?.cause?.code === '23505';
}

export function rethrowUnique(err: unknown, message: string): never {
  if (isUniqueViolation(err)) throw new AppError('CONFLICT', message, undefined, { cause: err });
  throw err;
}
