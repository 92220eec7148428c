import { createRoute, z } from '@hono/zod-openapi';
import { FLEET_PAGE_SIZE_MAX, fleetMap } from '../services/fleet/map.ts';
import { getSiteOrThrow } from '../services/internal.ts';
import { AnyObject, ctxOf, errorResponses, json, router, security, type RouteDeps } from './shared.ts';

const MapQuery = z.strictObject({
  site: z.string().min(1).max(100).optional().describe('only this site (name or id)'),
  q: z.string().max(100).optional().describe('case-insensitive substring of a site, cluster or director name'),
  problems: z.enum(['true', 'false']).optional().describe('true: only clusters with a split brain, an instance without a fresh master, a stale or never-seen director, or drift'),
  page: z.coerce.number().int().min(1).max(100_000).optional(),
  pageSize: z.coerce.number().int().min(1).max(FLEET_PAGE_SIZE_MAX).optional(),
});

const MapResponse = z.object({
  generatedAt: z.string(),
  freshnessWindowMs: z.number().describe('a director silent for longer counts as stale: never shown as a master'),
  summary: AnyObject.describe('fleet-wide counts (sites, clusters, directors, enrolled, fresh, stale, neverSeen, drift, instances, withoutMaster, splitBrains), whatever the filters'),
  splitBrains: z.array(AnyObject).describe('every instance with two or more fresh MASTER reports, fleet-wide: { site, cluster, clusterId, instance, masters }'),
  sites: z.array(AnyObject),
  page: z.object({ number: z.number(), pages: z.number(), pageSize: z.number(), total: z.number() }),
  items: z.array(AnyObject).describe('the page\'s clusters: directors (freshness, applied revision, drift, rejection, maintenance) and instances (master with effective/base priority and since when, masters, staleMasters, splitBrain, members)'),
}).openapi('FleetMap');

export function fleetMapRoutes(deps: RouteDeps) {
  const app = router();
  app.openapi(
    createRoute({
      method: 'get', path: '/fleet/map', tags: ['fleet'], security,
      description: 'The fleet map, one page of clusters at a time (sorted by site, then cluster), with fleet-wide counts and split brains. What the dashboard\'s first screen shows.',
      request: { query: MapQuery },
      responses: { 200: json(MapResponse, 'the fleet map'), ...errorResponses },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const ctx = ctxOf(c, deps);
      const siteId = q.site ? (await getSiteOrThrow(ctx, q.site)).id : undefined;
      return c.json(await fleetMap(ctx, { siteId, q: q.q, problems: q.problems === 'true', page: q.page, pageSize: q.pageSize }) as never, 200);
    },
  );
  return app;
}
