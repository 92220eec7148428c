import { createRoute, z } from '@hono/zod-openapi';
import { createSite, deleteSite, getSite, listSites } from '../services/sites/index.ts';
import { CreateSiteInput } from '../services/sites/schemas.ts';
import { createCluster, listClusters } from '../services/clusters/index.ts';
import { CreateClusterInput } from '../services/clusters/schemas.ts';
import { AnyObject, ctxOf, errorResponses, json, jsonBody, router, security, SiteParam, type RouteDeps } from './shared.ts';

const Site = z.object({ id: z.uuid(), name: z.string(), description: z.string(), createdAt: z.string() }).openapi('Site');

export function sitesRoutes(deps: RouteDeps) {
  const app = router();
  app.openapi(
    createRoute({ method: 'get', path: '/sites', tags: ['sites'], security, responses: { 200: json(z.object({ items: z.array(Site) }), 'sites visible to the token'), ...errorResponses } }),
    async (c) => c.json({ items: await listSites(ctxOf(c, deps)) } as never, 200),
  );
  app.openapi(
    createRoute({ method: 'post', path: '/sites', tags: ['sites'], security, request: { body: jsonBody(CreateSiteInput) }, responses: { 201: json(Site, 'created'), ...errorResponses } }),
    async (c) => c.json((await createSite(ctxOf(c, deps), c.req.valid('json'))) as never, 201),
  );
  app.openapi(
    createRoute({ method: 'get', path: '/sites/{site}', tags: ['sites'], security, request: { params: SiteParam }, responses: { 200: json(Site, 'the site'), ...errorResponses } }),
    async (c) => c.json((await getSite(ctxOf(c, deps), c.req.valid('param').site)) as never, 200),
  );
  app.openapi(
    createRoute({ method: 'delete', path: '/sites/{site}', tags: ['sites'], security, request: { params: SiteParam }, responses: { 200: json(Site, 'deleted (only empty sites)'), ...errorResponses } }),
    async (c) => {
      const deleted = await deleteSite(ctxOf(c, deps), c.req.valid('param').site);
      // The site's tokens went with it (cascade): none of them may pass on a cached read.
      deps.tokenCache?.clear();
      return c.json(deleted as never, 200);
    },
  );
  app.openapi(
    createRoute({ method: 'get', path: '/sites/{site}/clusters', tags: ['clusters'], security, request: { params: SiteParam }, responses: { 200: json(z.object({ items: z.array(AnyObject) }), 'clusters of the site'), ...errorResponses } }),
    async (c) => c.json({ items: await listClusters(ctxOf(c, deps), c.req.valid('param').site) } as never, 200),
  );
  app.openapi(
    createRoute({ method: 'post', path: '/sites/{site}/clusters', tags: ['clusters'], security, request: { params: SiteParam, body: jsonBody(CreateClusterInput) }, responses: { 201: json(AnyObject, 'created'), ...errorResponses } }),
    async (c) => c.json((await createCluster(ctxOf(c, deps), c.req.valid('param').site, c.req.valid('json'))) as never, 201),
  );
  return app;
}
