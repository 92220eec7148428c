import { createRoute, z } from '@hono/zod-openapi';
import { clusterStatus } from '../services/clusters/status.ts';
import { AnyObject, ClusterParam, ctxOf, errorResponses, json, router, security, type RouteDeps } from './shared.ts';

const ClusterStatus = z.object({
  cluster: AnyObject,
  desiredRevision: z.number().nullable(),
  generatedAt: z.string(),
  freshnessWindowMs: z.number(),
  directors: z.array(AnyObject).describe('per director: freshness, appliedRevision, maintenance, rollout { status: unenrolled|unreported|current|behind|rejected, revision, reason, at }, reported instances'),
  instances: z.array(AnyObject).describe('per instance: master (fresh reports only) and since when, masters, staleMasters, splitBrain, preferredMaster (set by PUT …/instances/{instance}/master)'),
  realServers: z.array(AnyObject).describe('per director and real server: up, weight, drained, the last check\'s reason, since when'),
  quorum: z.array(AnyObject).describe('per director and virtual server: the last quorum change (up, reason, since)'),
}).openapi('ClusterStatus');

export function clusterStatusRoutes(deps: RouteDeps) {
  const app = router();
  app.openapi(
    createRoute({
      method: 'get', path: '/clusters/{id}/status', tags: ['clusters'], security,
      description: 'The cluster as it runs: rollout progress and freshness per director, the master of each instance, and the real servers as each director\'s health checks see them.',
      request: { params: ClusterParam },
      responses: { 200: json(ClusterStatus, 'the running state'), ...errorResponses },
    }),
    async (c) => c.json(await clusterStatus(ctxOf(c, deps), c.req.valid('param').id) as never, 200),
  );
  return app;
}
