/**
 * The dashboard's session (see http/session-cookie.ts): sign in by presenting an API token as
 * the bearer once; the answer sets an HttpOnly cookie and gives the CSRF value writes must echo.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { validation } from '../errors.ts';
import { bearerSecret } from '../http/middleware/auth.ts';
import { clearSessionCookie, csrfFor, SESSION_MAX_AGE_S, setSessionCookie } from '../http/session-cookie.ts';
import { recordSession, whoAmI } from '../services/session/whoami.ts';
import { ctxOf, errorResponses, json, router, security, type RouteDeps } from './shared.ts';

const Session = z
  .object({
    tokenId: z.uuid(),
    name: z.string(),
    role: z.enum(['viewer', 'operator', 'admin']),
    site: z.object({ id: z.uuid(), name: z.string() }).nullable().describe('the site a scoped token is limited to; null = every site'),
    tokenExpiresAt: z.string().nullable(),
    via: z.enum(['cookie', 'bearer']).describe('how this request was authenticated'),
    csrf: z.string().nullable().describe('with a session cookie: the value writes must send as X-Vigil-CSRF'),
  })
  .openapi('Session');

export function sessionRoutes(deps: RouteDeps) {
  const app = router();
  app.openapi(
    createRoute({
      method: 'get', path: '/session', tags: ['session'], security,
      description: 'Who the caller is: token name, role and site scope. With the dashboard\'s session cookie, also the CSRF value its writes must carry.',
      responses: { 200: json(Session, 'the caller'), ...errorResponses },
    }),
    async (c) => {
      const who = await whoAmI(ctxOf(c, deps));
      const session = c.get('session');
      return c.json({ ...who, via: session ? 'cookie' : 'bearer', csrf: session?.csrf ?? null } as const, 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'post', path: '/session', tags: ['session'], security,
      description: 'Dashboard sign-in: send the API token as the bearer; the answer sets an HttpOnly, SameSite=Strict session cookie (at most 12 h, never past the token\'s expiry) and returns the CSRF value. Audited as session.signed_in.',
      responses: { 200: json(Session, 'signed in; the cookie is set'), ...errorResponses },
    }),
    async (c) => {
      const secret = bearerSecret(c.req.header('authorization'));
      if (!secret || c.get('session')) throw validation('sign in by sending the API token as "Authorization: Bearer <token>"', [{ path: ['header', 'authorization'], message: 'required' }]);
      const ctx = ctxOf(c, deps);
      const who = await whoAmI(ctx);
      await recordSession(ctx, 'session.signed_in', who);
      const untilExpiry = who.tokenExpiresAt ? (Date.parse(who.tokenExpiresAt) - Date.now()) / 1000 : Infinity;
      setSessionCookie(c, deps.install.policy, secret, Math.min(SESSION_MAX_AGE_S, untilExpiry));
      return c.json({ ...who, via: 'bearer', csrf: csrfFor(secret) } as const, 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'delete', path: '/session', tags: ['session'], security,
      description: 'Dashboard sign-out: clears the session cookie (the token itself stays valid; revoke it with DELETE /v1/tokens/{id}). Audited as session.signed_out.',
      responses: { 200: json(z.object({ signedOut: z.boolean() }), 'the cookie is cleared'), ...errorResponses },
    }),
    async (c) => {
      const ctx = ctxOf(c, deps);
      const who = await whoAmI(ctx);
      const viaCookie = c.get('session') !== undefined;
      if (viaCookie) await recordSession(ctx, 'session.signed_out', who);
      clearSessionCookie(c, deps.install.policy);
      return c.json({ signedOut: viaCookie }, 200);
    },
  );
  return app;
}
