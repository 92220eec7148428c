import type { MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import type { AppEnv } from '../env.ts';
import type { Metrics } from '../../metrics.ts';

/** One canonical log line and one metrics observation per request. */
export const requestLog = (logger: Logger, metrics: Metrics): MiddlewareHandler<AppEnv> =>
  async function requestLogMiddleware(c, next) {
    const start = performance.now();
    // The base logger (a child per request costs more than the request itself under load);
    // every line carries the request id explicitly.
    c.set('logger', logger);
    await next();
    const ms = performance.now() - start;
    // The matched route pattern keeps label cardinality bounded (no ids in labels).
    const route = c.req.routePath || 'unmatched';
    metrics.httpRequests.inc({ method: c.req.method, route, status: String(c.res.status) });
    metrics.httpDuration.observe({ method: c.req.method, route }, ms / 1000);
    const actor = c.get('actor');
    const line = {
      requestId: c.get('requestId'),
      method: c.req.method,
      path: c.req.path,
      route,
      status: c.res.status,
      durationMs: Math.round(ms * 100) / 100,
      actor: actor ? (actor.type === 'token' ? actor.name : actor.type) : undefined,
    };
    if (c.res.status >= 500) logger.error(line, 'request');
    else logger.info(line, 'request');
  };
