import { createRoute, z } from '@hono/zod-openapi';
import { deleteCluster, getCluster, updateCluster } from '../services/clusters/index.ts';
import { UpdateClusterInput } from '../services/clusters/schemas.ts';
import { createDirector, deleteDirector, getDirector, listDirectors } from '../services/directors/index.ts';
import { CreateDirectorInput } from '../services/directors/schemas.ts';
import { ResourceName } from '../services/sites/schemas.ts';
import { AnyObject, ClusterParam, ctxOf, errorResponses, json, jsonBody, router, security, type RouteDeps } from './shared.ts';

const DirectorParam = ClusterParam.extend({ name: ResourceName });

export function clustersRoutes(deps: RouteDeps) {
  const app = router();
  app.openapi(
    createRoute({ method: 'get', path: '/clusters/{id}', tags: ['clusters'], security, request: { params: ClusterParam }, responses: { 200: json(AnyObject, 'the cluster'), ...errorResponses } }),
    async (c) => c.json((await getCluster(ctxOf(c, deps), c.req.valid('param').id)) as never, 200),
  );
  app.openapi(
    createRoute({ method: 'patch', path: '/clusters/{id}', tags: ['clusters'], security, request: { params: ClusterParam, body: jsonBody(UpdateClusterInput) }, responses: { 200: json(AnyObject, 'updated'), ...errorResponses } }),
    async (c) => c.json((await updateCluster(ctxOf(c, deps), c.req.valid('param').id, c.req.valid('json'))) as never, 200),
  );
  app.openapi(
    createRoute({ method: 'delete', path: '/clusters/{id}', tags: ['clusters'], security, request: { params: ClusterParam }, responses: { 200: json(AnyObject, 'deleted (no directors, no spec history)'), ...errorResponses } }),
    async (c) => c.json((await deleteCluster(ctxOf(c, deps), c.req.valid('param').id)) as never, 200),
  );
  app.openapi(
    createRoute({ method: 'get', path: '/clusters/{id}/directors', tags: ['directors'], security, request: { params: ClusterParam }, responses: { 200: json(z.object({ items: z.array(AnyObject) }), 'directors'), ...errorResponses } }),
    async (c) => c.json({ items: await listDirectors(ctxOf(c, deps), c.req.valid('param').id) } as never, 200),
  );
  app.openapi(
    createRoute({ method: 'post', path: '/clusters/{id}/directors', tags: ['directors'], security, request: { params: ClusterParam, body: jsonBody(CreateDirectorInput) }, responses: { 201: json(AnyObject, 'created'), ...errorResponses } }),
    async (c) => c.json((await createDirector(ctxOf(c, deps), c.req.valid('param').id, c.req.valid('json'))) as never, 201),
  );
  app.openapi(
    createRoute({ method: 'get', path: '/clusters/{id}/directors/{name}', tags: ['directors'], security, request: { params: DirectorParam }, responses: { 200: json(AnyObject, 'the director'), ...errorResponses } }),
    async (c) => {
      const p = c.req.valid('param');
      return c.json((await getDirector(ctxOf(c, deps), p.id, p.name)) as never, 200);
    },
  );
  app.openapi(
    createRoute({ method: 'delete', path: '/clusters/{id}/directors/{name}', tags: ['directors'], security, request: { params: DirectorParam }, responses: { 200: json(AnyObject, 'deleted'), ...errorResponses } }),
    async (c) => {
      const p = c.req.valid('param');
      return c.json((await deleteDirector(ctxOf(c, deps), p.id, p.name)) as never, 200);
    },
  );
  return app;
}
