import { createRoute, z } from '@hono/zod-openapi';
import { getClusterOrThrow, getSiteOrThrow } from '../services/internal.ts';
import { timeline } from '../services/timeline/query.ts';
import { AnyObject, ctxOf, errorResponses, json, router, security, type RouteDeps } from './shared.ts';

const TimelineQuery = z.strictObject({
  site: z.string().min(1).max(100).optional().describe('site name or id'),
  cluster: z.uuid().optional(),
  instance: z.string().min(1).max(128).optional(),
  since: z.iso.datetime({ offset: true }).optional().describe('default: one hour before until'),
  until: z.iso.datetime({ offset: true }).optional().describe('default: now'),
  lanes: z.coerce.number().int().min(1).max(500).optional().describe('most instances returned (default 100), sorted by site, cluster, instance'),
});

const Timeline = z.object({
  since: z.string(),
  until: z.string(),
  generatedAt: z.string(),
  lanes: z.array(AnyObject).describe('per instance: { site, cluster, clusterId, instance, segments: [{ from, to, kind: held|outage|unknown, holder }], failovers }'),
  failovers: z.array(AnyObject).describe('newest first: { kind, at, site, cluster, clusterId, instance, oldMaster, newMaster, cause, reason, gapMs }; kind is failover (another director took over) or outage (the same director, after an interval with no holder); cause is one of higher_priority, master_down, priority_zero, tracked_object, interface, maintenance, move_master, rollout, shutdown, operator, other'),
  markers: z.array(AnyObject).describe('changes on the same axis: spec revisions and rollbacks, maintenance, mastership moves, rejected configs, split brains ({ at, kind, actor, site, cluster, director, instance, details })'),
  truncated: z.object({ lanes: z.number(), transitions: z.boolean() }),
}).openapi('Timeline');

export function timelineRoutes(deps: RouteDeps) {
  const app = router();
  app.openapi(
    createRoute({
      method: 'get', path: '/timeline', tags: ['events'], security,
      description: 'Failover timeline over a window (at most 31 days): who held each VRRP instance when, periods with no holder (outages), each failover with its cause and gap, and spec revisions and operator actions on the same time axis.',
      request: { query: TimelineQuery },
      responses: { 200: json(Timeline, 'the timeline'), ...errorResponses },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const ctx = ctxOf(c, deps);
      const siteId = q.site ? (await getSiteOrThrow(ctx, q.site)).id : undefined;
      const clusterId = q.cluster ? (await getClusterOrThrow(ctx, q.cluster)).id : undefined;
      return c.json(await timeline(ctx, {
        siteId, clusterId, instance: q.instance, lanes: q.lanes,
        since: q.since ? new Date(q.since) : undefined, until: q.until ? new Date(q.until) : undefined,
      }) as never, 200);
    },
  );
  return app;
}
