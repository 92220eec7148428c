import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env.ts';

const SAFE = /^[A-Za-z0-9._:-]{1,128}$/;

/** Accepts a sane incoming X-Request-Id (from a proxy) or makes one; echoes it back. */
export const requestId = (): MiddlewareHandler<AppEnv> =>
  async function requestIdMiddleware(c, next) {
    const given = c.req.header('x-request-id');
    const id = given && SAFE.test(given) ? given : randomUUID();
    c.set('requestId', id);
    c.header('X-Request-Id', id);
    await next();
  };
