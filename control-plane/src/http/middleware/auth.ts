import type { MiddlewareHandler } from 'hono';
import type { Db } from '../../db.ts';
import { forbidden } from '../../errors.ts';
import { authenticateToken, type ApiTokenRow } from '../../services/tokens/authenticate.ts';
import type { TokenCache } from '../../services/tokens/token-cache.ts';
import type { AppEnv } from '../env.ts';
import { csrfFor, csrfProblem, sessionSecret } from '../session-cookie.ts';

/** The secret of an `Authorization: Bearer <secret>` header; undefined for any other value or none. */
export const bearerSecret = (header: string | undefined): string | undefined => (header ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined);

/**
 * Resolves `Authorization: Bearer vgl_…` (or, without that header, the dashboard's session
 * cookie: see session-cookie.ts) to an actor; 401 (never 403) when it can't. API tokens
 * authenticated in the last second come from `cache` (token-cache.ts).
 */
export const auth = (db: Db, cache?: TokenCache<ApiTokenRow>): MiddlewareHandler<AppEnv> =>
  async function authMiddleware(c, next) {
    const header = c.req.header('authorization');
    const cookie = header ? undefined : sessionSecret(c);
    if (cookie) {
      c.set('actor', await authenticateToken(db, cookie, cache));
      const problem = csrfProblem(c, cookie);
      if (problem) throw forbidden(problem);
      c.set('session', { csrf: csrfFor(cookie) });
    } else {
      // A malformed header is refused as a missing token (authenticateToken: no secret).
      c.set('actor', await authenticateToken(db, bearerSecret(header), cache));
    }
    await next();
  };
