import { createRoute, z } from '@hono/zod-openapi';
import { listFailovers } from '../services/failovers/list.ts';
import { getClusterOrThrow, getSiteOrThrow } from '../services/internal.ts';
import { AnyObject, ctxOf, errorResponses, json, router, security, type RouteDeps } from './shared.ts';

const FailoverQuery = z.strictObject({
  site: z.string().min(1).max(100).optional().describe('site name or id'),
  cluster: z.uuid().optional(),
  instance: z.string().min(1).max(128).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

export function failoversRoutes(deps: RouteDeps) {
  const app = router();
  app.openapi(
    createRoute({
      method: 'get', path: '/failovers', tags: ['events'], security,
      description: 'Each failover as one record (kind failover: old master, new master, cause) and each interval with no holder that ended with the same director holding again (kind outage: a restart, maintenance off and on), with the gap clients saw from the old holder\'s VIPs leaving (or its last advert) to the new holder\'s VIPs in place. Newest first.',
      request: { query: FailoverQuery },
      responses: { 200: json(z.object({ items: z.array(AnyObject) }), 'failovers'), ...errorResponses },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const ctx = ctxOf(c, deps);
      const siteId = q.site ? (await getSiteOrThrow(ctx, q.site)).id : undefined;
      const clusterId = q.cluster ? (await getClusterOrThrow(ctx, q.cluster)).id : undefined;
      const items = await listFailovers(ctx, {
        ...(siteId ? { siteId } : {}), ...(clusterId ? { clusterId } : {}), ...(q.instance ? { instance: q.instance } : {}),
        ...(q.since ? { since: new Date(q.since) } : {}), ...(q.until ? { until: new Date(q.until) } : {}), ...(q.limit ? { limit: q.limit } : {}),
      });
      return c.json({ items } as never, 200);
    },
  );
  return app;
}
