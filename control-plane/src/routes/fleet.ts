import { createRoute, z } from '@hono/zod-openapi';
import { fleetMetricsText } from '../fleet-metrics.ts';
import { fleetGauges } from '../services/fleet/gauges.ts';
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
  app.openapi(
    createRoute({
      method: 'get',
      path: '/fleet/metrics',
      tags: ['fleet'],
      security,
      description: 'The fleet for Prometheus (text format): vigil_fleet_director_up, _report_age_seconds, _drift, _maintenance, _enrolled, _applied_revision {site,cluster,director}; vigil_fleet_instance_masters {site,cluster,vrrp_instance} (2+: split brain); vigil_fleet_cluster_desired_revision. Scrape with a viewer token.',
      responses: { 200: { description: 'Prometheus text exposition', content: { 'text/plain': { schema: z.string() } } }, ...errorResponses },
    }),
    async (c) => {
      const m = await fleetMetricsText(await fleetGauges(ctxOf(c, deps)));
      c.header('content-type', m.contentType);
      c.header('cache-control', 'no-store');
      return c.body(m.text) as never;
    },
  );
  return app;
}
