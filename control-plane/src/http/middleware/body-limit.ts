/**
 * The request body limit, for the methods that carry one.
 *
 * hono's bodyLimit reads `c.req.raw.body`, and on @hono/node-server that getter turns the light
 * request into a full fetch Request (undici's constructor: the most expensive step of a GET).
 * 500 agents long-polling their config are 500 GETs every 25 s, so GET and HEAD skip it: they
 * are judged by their headers alone, and one that announces a body (Content-Length above 0 or
 * any Transfer-Encoding, RFC 9110 §9.3.1: a GET body has no defined meaning) is refused before
 * a byte of it is read.
 */
import type { MiddlewareHandler } from 'hono';
import { bodyLimit as honoBodyLimit } from 'hono/body-limit';
import { errorResponse } from '../errors.ts';

export function bodyLimit(maxSize: number): MiddlewareHandler {
  const limited = honoBodyLimit({
    maxSize,
    onError: (c) => errorResponse(c, 'PAYLOAD_TOO_LARGE', `request body exceeds ${maxSize} bytes`),
  });
  return async (c, next) => {
    const method = c.req.method;
    if (method !== 'GET' && method !== 'HEAD') return limited(c, next);
    const length = c.req.header('content-length');
    if (c.req.header('transfer-encoding') !== undefined || (length !== undefined && length.trim() !== '0')) {
      return errorResponse(c, 'PAYLOAD_TOO_LARGE', `a ${method} request carries no body (it had ${length !== undefined ? `Content-Length ${length.slice(0, 20)}` : 'a Transfer-Encoding'}): send the data with POST or PUT`);
    }
    await next();
  };
}
