import { createRoute, z } from '@hono/zod-openapi';
import { listEvents, verifyEvents } from '../services/events/index.ts';
import { encodeCursor } from '../services/events/list.ts';
import { validation } from '../errors.ts';
import { getClusterOrThrow, getDirectorOrThrow, getSiteOrThrow } from '../services/internal.ts';
import { AnyObject, ctxOf, errorResponses, json, router, security, type RouteDeps } from './shared.ts';

const EventsQuery = z.strictObject({
  site: z.string().min(1).max(100).optional().describe('site name or id'),
  cluster: z.uuid().optional(),
  director: z.string().min(1).max(63).optional().describe('director name (needs cluster)'),
  instance: z.string().min(1).max(128).optional(),
  kind: z.string().min(1).max(64).optional(),
  actor: z.string().min(1).max(200).optional().describe('who did it, as logged: token:<name>, agent:<director>, system:<what>'),
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
  order: z.enum(['asc', 'desc']).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  cursor: z.string().max(200).optional(),
});

export function eventsRoutes(deps: RouteDeps) {
  const app = router();
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
      const signal = c.req.raw.signal;
      const stream = new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(encoder.encode(': vigil events\n\n'));
          while (Date.now() < deadline && !signal.aborted) {
            const page = await listEvents(ctx, { ...filters, order: 'asc', limit: 500, ...(cursor ? { cursor } : {}) });
            for (const e of page.items as Array<{ id: number }>) {
              cursor = encodeCursor(e.id);
              controller.enqueue(encoder.encode(`id: ${cursor}\nevent: vigil\ndata: ${JSON.stringify(e)}\n\n`));
            }
            if (page.nextCursor) continue;
            await new Promise((r) => setTimeout(r, Math.min(500, Math.max(0, deadline - Date.now()))));
          }
          controller.close();
        },
      });
      return new Response(stream, { status: 200, headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' } }) as never;
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/events/verify',
      tags: ['events'],
      security,
      description: 'Recomputes the hash chain over the whole log; ok=false names the first broken row.',
      responses: { 200: json(AnyObject, 'verification result'), ...errorResponses },
    }),
    async (c) => c.json((await verifyEvents(ctxOf(c, deps))) as never, 200),
  );
  return app;
}

const CSV_COLUMNS = ['id', 'receivedAt', 'agentTime', 'kind', 'actor', 'siteId', 'clusterId', 'directorId', 'instance', 'details', 'hash'];

/** RFC 4180: quote every field that holds a comma, quote, CR or LF; double the quotes. */
function csvRow(e: Record<string, unknown>): string {
  return CSV_COLUMNS.map((k) => {
    const v = e[k];
    const s = v === null || v === undefined ? '' : v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v) : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  }).join(',');
}
