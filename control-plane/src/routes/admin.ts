/** Operator actions on running directors: maintenance and mastership moves (see services/agents/admin.ts). */
import { createRoute, z } from '@hono/zod-openapi';
import { moveMaster, setMaintenance } from '../services/agents/admin.ts';
import { AnyObject, ctxOf, errorResponses, json, jsonBody, router, security, type RouteDeps } from './shared.ts';

const DirectorParams = z.object({
  id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }),
  name: z.string().min(1).max(63).openapi({ param: { name: 'name', in: 'path' } }),
});
const InstanceParams = z.object({
  id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }),
  instance: z.string().min(1).max(128).openapi({ param: { name: 'instance', in: 'path' } }),
});

export function adminRoutes(deps: RouteDeps) {
  const app = router();
  app.openapi(
    createRoute({
      method: 'put', path: '/clusters/{id}/directors/{name}/maintenance', tags: ['directors'], security,
      description: 'Maintenance on: the director leaves every instance gracefully (priority-0 advert, VIPs removed) and stays out; off: it rejoins. Recorded in the audit log.',
      request: { params: DirectorParams, body: jsonBody(z.strictObject({ on: z.boolean() })) },
      responses: { 200: json(AnyObject, 'recorded; the agent applies it on its next config fetch (long-poll: at once)'), ...errorResponses },
    }),
    async (c) => {
      const p = c.req.valid('param');
      return c.json(await setMaintenance(ctxOf(c, deps), p.id, p.name, c.req.valid('json').on) as never, 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'put', path: '/clusters/{id}/instances/{instance}/master', tags: ['directors'], security,
      description: 'Move mastership of an instance to a director (it runs the instance at priority 254 and preempts); director null returns to the spec\'s priorities. Recorded in the audit log.',
      request: { params: InstanceParams, body: jsonBody(z.strictObject({ director: z.string().min(1).max(63).nullable() })) },
      responses: { 200: json(AnyObject, 'recorded'), ...errorResponses },
    }),
    async (c) => {
      const p = c.req.valid('param');
      return c.json(await moveMaster(ctxOf(c, deps), p.id, p.instance, c.req.valid('json').director) as never, 200);
    },
  );
  return app;
}
