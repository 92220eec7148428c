import { createRoute, z } from '@hono/zod-openapi';
import { Instant } from '../../../schema/src/wire/bounded.ts';
import { ObjectName } from '../../../schema/src/spec/primitives.ts';
import { createCheckpoint, eventsAppended, FullVerifyLimit, listCheckpoints, listEvents, verifyEvents } from '../services/events/index.ts';
import { requireRole, requireUnscoped } from '../services/context.ts';
import { encodeCursor } from '../services/events/list.ts';
import { AppError, validation } from '../errors.ts';
import { getClusterOrThrow, getDirectorOrThrow, getSiteOrThrow } from '../services/internal.ts';
import { AnyObject, ctxOf, errorResponses, json, router, security, type RouteDeps } from './shared.ts';

const EventsQuery = z.strictObject({
  site: z.string().min(1).max(100).optional().describe('site name or id'),
  cluster: z.uuid().optional(),
  director: z.string().min(1).max(63).optional().describe('director name (needs cluster)'),
  instance: ObjectName.optional(),
  kind: z.string().regex(/^[a-z][A-Za-z0-9_.]{0,63}$/, 'an event kind such as vrrp.transition').optional(),
  actor: z.string().min(1).max(200).optional().describe('who did it, as logged: token:<name>, agent:<director>, system:<what>'),
  since: Instant.optional(),
  until: Instant.optional(),
  order: z.enum(['asc', 'desc']).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  cursor: z.string().max(200).optional(),
});

export function eventsRoutes(deps: RouteDeps) {
  const app = router();
  let verifying: ReturnType<typeof verifyEvents> | undefined;
  const fullLimit = new FullVerifyLimit();
  app.openapi(
    createRoute({
      method: 'get',
      path: '/events',
      tags: ['events'],
      security,
      description: 'The append-only audit log, filtered and cursor-paginated (pass nextCursor back as cursor).',
      request: { query: EventsQuery },
      responses: { 200: json(z.object({ items: z.array(AnyObject), nextCursor: z.string().nullable() }), 'a page of events'), ...errorResponses },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const ctx = ctxOf(c, deps);
      const siteId = q.site ? (await getSiteOrThrow(ctx, q.site)).id : undefined;
      const cluster = q.cluster ? await getClusterOrThrow(ctx, q.cluster) : undefined;
      let directorId: string | undefined;
      if (q.director) {
        if (!cluster) return c.json({ items: [], nextCursor: null } as never, 200);
        directorId = (await getDirectorOrThrow(ctx, cluster, q.director)).id;
      }
      const page = await listEvents(ctx, {
        siteId,
        clusterId: cluster?.id,
        directorId,
        instance: q.instance,
        kind: q.kind,
        actor: q.actor,
        since: q.since ? new Date(q.since) : undefined,
        until: q.until ? new Date(q.until) : undefined,
        order: q.order,
        limit: q.limit,
        cursor: q.cursor,
      });
      return c.json(page as never, 200);
    },
  );
  const filtersOf = async (c: Parameters<Parameters<typeof app.openapi>[1]>[0], q: z.infer<typeof EventsQuery>) => {
    const ctx = ctxOf(c as never, deps);
    const siteId = q.site ? (await getSiteOrThrow(ctx, q.site)).id : undefined;
    const cluster = q.cluster ? await getClusterOrThrow(ctx, q.cluster) : undefined;
    if (q.director && !cluster) throw validation('a director filter needs a cluster', [{ path: ['query', 'cluster'], message: 'give cluster=<id> with director=<name>' }]);
    const directorId = q.director && cluster ? (await getDirectorOrThrow(ctx, cluster, q.director)).id : undefined;
    return { ctx, filters: { siteId, clusterId: cluster?.id, directorId, instance: q.instance, kind: q.kind, actor: q.actor, since: q.since ? new Date(q.since) : undefined, until: q.until ? new Date(q.until) : undefined } };
  };
  app.openapi(
    createRoute({
      method: 'get',
      path: '/events/export',
      tags: ['events'],
      security,
      description: 'Every matching event, oldest first, as NDJSON (one JSON object per line) or CSV (header row; details as JSON).',
      request: { query: EventsQuery.omit({ order: true, limit: true }).extend({ format: z.enum(['ndjson', 'csv']).default('ndjson') }) },
      responses: { 200: { description: 'the export', content: { 'application/x-ndjson': { schema: z.string() }, 'text/csv': { schema: z.string() } } }, ...errorResponses },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const { ctx, filters } = await filtersOf(c, q);
      // First page before the headers: an authorization or filter error is a normal JSON error.
      let page = await listEvents(ctx, { ...filters, order: 'asc', limit: 1000, cursor: q.cursor });
      const csv = q.format === 'csv';
      const encoder = new TextEncoder();
      const stream = new ReadableStream<Uint8Array>({
        async start(controller) {
          if (csv) controller.enqueue(encoder.encode(`${CSV_COLUMNS.join(',')}\n`));
          for (;;) {
            const text = page.items.map((e) => (csv ? csvRow(e as Record<string, unknown>) : JSON.stringify(e))).join('\n');
            if (text) controller.enqueue(encoder.encode(`${text}\n`));
            if (!page.nextCursor) break;
            page = await listEvents(ctx, { ...filters, order: 'asc', limit: 1000, cursor: page.nextCursor });
          }
          controller.close();
        },
      });
      return new Response(stream, { status: 200, headers: { 'content-type': csv ? 'text/csv; charset=utf-8' : 'application/x-ndjson', 'content-disposition': `attachment; filename="vigil-events.${csv ? 'csv' : 'ndjson'}"` } }) as never;
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/events/stream',
      tags: ['events'],
      security,
      description: 'Live events as Server-Sent Events (event: vigil, id: cursor). Resume with Last-Event-ID or ?cursor=; without either, only events from now on. ?maxSeconds= ends the stream (default 3600).',
      request: { query: EventsQuery.omit({ order: true, limit: true }).extend({ maxSeconds: z.coerce.number().int().min(1).max(86_400).default(3600) }) },
      responses: { 200: { description: 'an SSE stream', content: { 'text/event-stream': { schema: z.string() } } }, ...errorResponses },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const { ctx, filters } = await filtersOf(c, q);
      let cursor = c.req.header('last-event-id') ?? q.cursor;
      if (!cursor) {
        const newest = await listEvents(ctx, { ...filters, order: 'desc', limit: 1 });
        const top = newest.items[0] as { id: number } | undefined;
        cursor = top ? encodeCursor(top.id) : undefined;
      } else {
        await listEvents(ctx, { ...filters, order: 'asc', limit: 1, cursor }); // validates the cursor (400 before streaming)
      }
      const encoder = new TextEncoder();
      const deadline = Date.now() + q.maxSeconds * 1000;
      const actor = ctx.actor;
      const stop = new AbortController();
      c.req.raw.signal.addEventListener('abort', () => stop.abort(), { once: true });
      let unregister = () => {};
      const stream = new ReadableStream<Uint8Array>({
        async start(controller) {
          let open = true;
          const close = () => {
            if (!open) return;
            open = false;
            stop.abort();
            unregister();
            try {
              controller.close();
            } catch { /* already closed by the client */ }
          };
          // The stream ends within a second of its token being revoked or expiring (sessions.ts).
          if (actor.type === 'token') {
            unregister = deps.sessions.add({ kind: 'token', tokenId: actor.tokenId, expiresAt: actor.expiresAt ?? null }, (reason) => {
              if (open) controller.enqueue(encoder.encode(`event: end\ndata: ${JSON.stringify({ reason })}\n\n`));
              close();
            });
          }
          stop.signal.addEventListener('abort', close, { once: true });
          controller.enqueue(encoder.encode(': vigil events\n\n'));
          try {
            while (open && Date.now() < deadline) {
              const page = await listEvents(ctx, { ...filters, order: 'asc', limit: 500, ...(cursor ? { cursor } : {}) });
              if (!open) break;
              for (const e of page.items as Array<{ id: number }>) {
                cursor = encodeCursor(e.id);
                controller.enqueue(encoder.encode(`id: ${cursor}\nevent: vigil\ndata: ${JSON.stringify(e)}\n\n`));
              }
              if (page.nextCursor) continue;
              // Idle until an append anywhere (LISTEN/NOTIFY) or a keep-alive interval: an
              // idle stream costs no queries, and a vanished client is noticed at the write.
              const woken = await eventsAppended.wait(Math.min(15_000, Math.max(0, deadline - Date.now())), stop.signal);
              if (!woken && open) controller.enqueue(encoder.encode(': keep-alive\n\n'));
            }
          } catch {
            // A database error ends the stream; the client resumes with Last-Event-ID.
          }
          close();
        },
        cancel() {
          stop.abort();
          unregister();
        },
      });
      return new Response(stream, { status: 200, headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' } }) as never;
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/events/verify',
      tags: ['events'],
      security,
      description: 'Verifies the audit log against its newest signed checkpoint: the checkpoint\'s signature, the witness kept outside the database, the anchored row, and every row appended since. `full=true` (admins, at most once a minute) recomputes every row from the start.',
      request: { query: z.strictObject({ full: z.enum(['true', 'false']).optional() }) },
      responses: { 200: json(AnyObject, 'verification result'), ...errorResponses },
    }),
    async (c) => {
      const ctx = ctxOf(c, deps);
      if (c.req.valid('query').full === 'true') return c.json((await verifyEvents(ctx, deps.audit, { full: fullLimit })) as never, 200);
      // Concurrent verifications share one walk: ten viewers cost one.
      requireRole(ctx, 'viewer');
      requireUnscoped(ctx);
      verifying ??= verifyEvents(ctx, deps.audit).finally(() => { verifying = undefined; });
      return c.json((await verifying) as never, 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/events/checkpoints',
      tags: ['events'],
      security,
      description: 'The newest signed checkpoints of the audit chain (Ed25519) and the public key that verifies them. Each is also written to the control plane log; keep them elsewhere to check the log later.',
      request: { query: z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).default(20) }) },
      responses: { 200: json(AnyObject, 'checkpoints, newest first'), ...errorResponses },
    }),
    async (c) => {
      const ctx = ctxOf(c, deps);
      requireRole(ctx, 'viewer');
      requireUnscoped(ctx);
      return c.json({ keyId: deps.audit?.keyId ?? null, publicKey: deps.audit?.publicKeyPem ?? null, items: await listCheckpoints(ctx, c.req.valid('query').limit) } as never, 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/events/checkpoints',
      tags: ['events'],
      security,
      description: 'Verifies the chain since the newest checkpoint and signs a checkpoint of its head now (the control plane also does this on a timer).',
      responses: { 200: json(AnyObject, 'the new checkpoint, or none when nothing was appended since'), 412: { description: 'no audit key configured, or the chain is broken' }, ...errorResponses },
    }),
    async (c) => {
      const ctx = ctxOf(c, deps);
      requireRole(ctx, 'admin');
      requireUnscoped(ctx);
      if (!deps.audit) throw new AppError('PRECONDITION_FAILED', 'this control plane has no audit signing key');
      const r = await createCheckpoint(ctx, deps.audit);
      if (r.broken) throw new AppError('PRECONDITION_FAILED', 'the chain does not verify since the newest checkpoint: no checkpoint was signed', r.broken);
      return c.json({ checkpoint: r.created ?? null } as never, 200);
    },
  );
  return app;
}

const CSV_COLUMNS = ['id', 'receivedAt', 'agentTime', 'kind', 'actor', 'siteId', 'clusterId', 'directorId', 'instance', 'details', 'hash'];

/**
 * RFC 4180: quote every field that holds a comma, quote, CR or LF; double the quotes. A cell a
 * spreadsheet would run as a formula (starting with = + - @, tab or CR: OWASP's CSV injection
 * list) gets a leading apostrophe, so an agent-chosen string cannot become a formula.
 */
export function csvCell(v: unknown): string {
  let s = v === null || v === undefined ? '' : v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v) : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csvRow(e: Record<string, unknown>): string {
  return CSV_COLUMNS.map((k) => csvCell(e[k])).join(',');
}
