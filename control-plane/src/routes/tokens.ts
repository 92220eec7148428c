import { createRoute, z } from '@hono/zod-openapi';
import { createEnrollmentToken, createToken, listEnrollmentTokens, listTokens, revokeEnrollmentToken, revokeToken } from '../services/tokens/index.ts';
import { CreateEnrollmentTokenInput, CreateTokenInput } from '../services/tokens/schemas.ts';
import { commandFor } from '../install/serve.ts';
import { AnyObject, ctxOf, errorResponses, json, jsonBody, router, security, SiteParam, type RouteDeps } from './shared.ts';

const IdParam = z.object({ tokenId: z.uuid().openapi({ param: { name: 'tokenId', in: 'path' } }) });
const Created = z.object({ token: AnyObject, secret: z.string().describe('shown once; store it now') });

export function tokensRoutes(deps: RouteDeps) {
  const app = router();
  app.openapi(
    createRoute({ method: 'get', path: '/tokens', tags: ['tokens'], security, responses: { 200: json(z.object({ items: z.array(AnyObject) }), 'API tokens (never their secrets)'), ...errorResponses } }),
    async (c) => c.json({ items: await listTokens(ctxOf(c, deps)) } as never, 200),
  );
  app.openapi(
    createRoute({ method: 'post', path: '/tokens', tags: ['tokens'], security, request: { body: jsonBody(CreateTokenInput) }, responses: { 201: json(Created, 'created; the secret is returned only now'), ...errorResponses } }),
    async (c) => c.json((await createToken(ctxOf(c, deps), c.req.valid('json'))) as never, 201),
  );
  app.openapi(
    createRoute({ method: 'delete', path: '/tokens/{tokenId}', tags: ['tokens'], security, request: { params: IdParam }, responses: { 200: json(AnyObject, 'revoked'), ...errorResponses } }),
    async (c) => {
      const revoked = await revokeToken(ctxOf(c, deps), c.req.valid('param').tokenId);
      // Committed: refused from this replica's next request on (others: at its NOTIFY).
      deps.tokenCache?.forget(c.req.valid('param').tokenId);
      return c.json(revoked as never, 200);
    },
  );
  app.openapi(
    createRoute({ method: 'get', path: '/sites/{site}/enrollment-tokens', tags: ['enrollment'], security, request: { params: SiteParam }, responses: { 200: json(z.object({ items: z.array(AnyObject) }), 'enrollment tokens of the site'), ...errorResponses } }),
    async (c) => c.json({ items: await listEnrollmentTokens(ctxOf(c, deps), c.req.valid('param').site) } as never, 200),
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/sites/{site}/enrollment-tokens',
      tags: ['enrollment'],
      security,
      request: { params: SiteParam, body: jsonBody(CreateEnrollmentTokenInput) },
      responses: { 201: json(Created, 'created; the secret is returned only now'), ...errorResponses },
    }),
    async (c) => {
      const created = await createEnrollmentToken(ctxOf(c, deps), c.req.valid('param').site, c.req.valid('json'));
      const install = await commandFor(c, deps.install, created.secret, { cluster: created.token.clusterName, director: created.token.directorName });
      return c.json({ ...created, install } as never, 201);
    },
  );
  app.openapi(
    createRoute({ method: 'delete', path: '/sites/{site}/enrollment-tokens/{tokenId}', tags: ['enrollment'], security, request: { params: SiteParam.extend(IdParam.shape) }, responses: { 200: json(AnyObject, 'revoked'), ...errorResponses } }),
    async (c) => {
      const p = c.req.valid('param');
      return c.json((await revokeEnrollmentToken(ctxOf(c, deps), p.site, p.tokenId)) as never, 200);
    },
  );
  return app;
}
