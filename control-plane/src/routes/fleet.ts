import { createRoute } from '@hono/zod-openapi';
import { fleetStatus } from '../services/fleet/status.ts';
import { AnyObject, ctxOf, errorResponses, json, router, security, type RouteDeps } from './shared.ts';

export function fleetRoutes(deps: RouteDeps) {
  const app = router();
  app.openapi(
    createRoute({
      method: 'get',
      path: '/fleet',
      tags: ['fleet'],
      security,
      description: 'Per site: clusters, directors (last seen, applied vs desired revision), and the master of each instance as reported by agents.',
      responses: { 200: json(AnyObject, 'fleet status'), ...errorResponses },
    }),
    async (c) => c.json((await fleetStatus(ctxOf(c, deps))) as never, 200),
  );
  return app;
}
