import { createRoute, z } from '@hono/zod-openapi';
import { listEvents, verifyEvents } from '../services/events/index.ts';
import { getClusterOrThrow, getDirectorOrThrow, getSiteOrThrow } from '../services/internal.ts';
import { AnyObject, ctxOf, errorResponses, json, router, security, type RouteDeps } from './shared.ts';

const EventsQuery = z.strictObject({
  site: z.string().min(1).max(100).optional().describe('site name or id'),
  cluster: z.uuid().optional(),
  director: z.string().min(1).max(63).optional().describe('director name (needs cluster)'),
  instance: z.string().min(1).max(128).optional(),
  kind: z.string().min(1).max(64).optional(),
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
        since: q.since ? new Date(q.since) : undefined,
        until: q.until ? new Date(q.until) : undefined,
        order: q.order,
        limit: q.limit,
        cursor: q.cursor,
      });
      return c.json(page as never, 200);
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
