import { and, asc, desc, eq, gt, gte, lt, lte, type SQL } from 'drizzle-orm';
import { events } from '../../../../schema/src/tables/index.ts';
import { validation } from '../../errors.ts';
import { requireRole, scopedSite, type ServiceContext } from '../context.ts';

export interface ListEventsInput {
  siteId?: string;
  clusterId?: string;
  directorId?: string;
  instance?: string;
  kind?: string;
  actor?: string;
  since?: Date;
  until?: Date;
  order?: 'asc' | 'desc';
  limit?: number;
  cursor?: string;
}

/** Cursors are opaque to clients: the last id seen, base64url-encoded. */
export function encodeCursor(id: number): string {
  return Buffer.from(`e:${id}`).toString('base64url');
}

function decodeCursor(cursor: string): number {
  const raw = Buffer.from(cursor, 'base64url').toString();
  const m = /^e:(\d{1,16})$/.exec(raw);
  const id = m ? Number(m[1]) : NaN;
  if (!Number.isSafeInteger(id)) throw validation('invalid cursor', [{ path: ['query', 'cursor'], message: 'use the nextCursor value of a previous page' }]);
  return id;
}

/** Filtered, cursor-paginated read of the audit log; scoped tokens see only their site. */
export async function listEvents(ctx: ServiceContext, input: ListEventsInput) {
  requireRole(ctx, 'viewer');
  const order = input.order ?? 'asc';
  const limit = Math.min(Math.max(input.limit ?? 100, 1), 1000);
  const where: SQL[] = [];
  const scope = scopedSite(ctx);
  if (scope) where.push(eq(events.siteId, scope));
  if (input.siteId) where.push(eq(events.siteId, input.siteId));
  if (input.clusterId) where.push(eq(events.clusterId, input.clusterId));
  if (input.directorId) where.push(eq(events.directorId, input.directorId));
  if (input.instance) where.push(eq(events.instance, input.instance));
  if (input.kind) where.push(eq(events.kind, input.kind));
  if (input.actor) where.push(eq(events.actor, input.actor));
  if (input.since) where.push(gte(events.receivedAt, input.since));
  if (input.until) where.push(lte(events.receivedAt, input.until));
  if (input.cursor) {
    const id = decodeCursor(input.cursor);
    where.push(order === 'asc' ? gt(events.id, id) : lt(events.id, id));
  }
  const rows = await ctx.db
    .select()
    .from(events)
    .where(where.length ? and(...where) : undefined)
    .orderBy(order === 'asc' ? asc(events.id) : desc(events.id))
    .limit(limit + 1);
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null };
}
