import type { MiddlewareHandler } from 'hono';
import type { Db } from '../../db.ts';
import { authenticateToken } from '../../services/tokens/authenticate.ts';
import type { AppEnv } from '../env.ts';

/** Resolves `Authorization: Bearer vgl_…` to an actor; 401 (never 403) when it can't. */
export const auth = (db: Db): MiddlewareHandler<AppEnv> =>
  async function authMiddleware(c, next) {
    const header = c.req.header('authorization');
    const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    c.set('actor', await authenticateToken(db, m?.[1] ?? (header ? '' : undefined)));
    await next();
  };
