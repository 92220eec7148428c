/** Operator actions on running directors: maintenance and mastership moves (see services/agents/admin.ts). */
import { createRoute, z } from '@hono/zod-openapi';
import { ObjectName, ResourceName } from '../../../schema/src/spec/primitives.ts';
import { moveMaster, setMaintenance } from '../services/agents/admin.ts';
import { resetDirectorCredential } from '../services/directors/index.ts';
import { AnyObject, ctxOf, errorResponses, json, jsonBody, router, security, type RouteDeps } from './shared.ts';

const DirectorParams = z.object({
  id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }),
  name: ResourceName,
});
const InstanceParams = z.object({
  id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }),
  instance: ObjectName,
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
      request: { params: InstanceParams, body: jsonBody(z.strictObject({ director: ResourceName.nullable() })) },
      responses: { 200: json(AnyObject, 'recorded'), ...errorResponses },
    }),
    async (c) => {
      const p = c.req.valid('param');
      return c.json(await moveMaster(ctxOf(c, deps), p.id, p.instance, c.req.valid('json').director) as never, 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'delete', path: '/clusters/{id}/directors/{name}/credential', tags: ['directors'], security,
      description: 'Reset the director\'s agent credential: the agent holding it is cut off at once (its WebSocket closes, its requests get 401) and the director can be enrolled again (a re-install or a replaced box). Nothing else can re-enroll an enrolled director except an enrollment token minted for its name. Recorded in the audit log.',
      request: { params: DirectorParams },
      responses: { 200: json(AnyObject, 'the director, now not enrolled'), ...errorResponses },
    }),
    async (c) => {
      const p = c.req.valid('param');
      return c.json(await resetDirectorCredential(ctxOf(c, deps), p.id, p.name) as never, 200);
    },
  );
  return app;
}
