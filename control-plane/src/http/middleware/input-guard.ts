/**
 * The first parse of every /v1 request, before any route or schema sees it, so whole classes of
 * hostile input get one clear 4xx instead of reaching code that cannot cope (a recursive
 * validator, a driver, Postgres):
 *
 * - a body with a content type other than JSON: 415 (bodies are JSON; say so);
 * - JSON nested deeper than MAX_JSON_DEPTH: 400, measured by a linear scan before JSON.parse;
 * - a string anywhere (body, query, path) with NUL or a lone surrogate, which Postgres cannot
 *   store: 400 naming where;
 * - a key named "__proto__" anywhere in a body: 400 (schemas would silently drop it, so the
 *   request would mean something other than what was sent);
 * - a query string or path that is not valid percent-encoded UTF-8: 400.
 */
import type { MiddlewareHandler } from 'hono';
import { jsonDepth, MAX_JSON_DEPTH, storable, STORABLE_MESSAGE } from '../../../../schema/src/wire/bounded.ts';
import type { AppEnv } from '../env.ts';
import { errorResponse } from '../errors.ts';

const JSON_TYPE = /^application\/(?:[a-z0-9.+-]+\+)?json\s*(?:;|$)/i;

const PROTO_MESSAGE = 'a key named "__proto__" is reserved';

/**
 * The first key or string that cannot be taken as sent: its path and why. Every frame and body
 * is walked, so the walk allocates nothing per node: one path stack, copied only for a problem
 * (a copy per node was a fifth of the allocations of an agent's report frame).
 */
export function firstProblem(v: unknown, path: (string | number)[]): { path: (string | number)[]; message: string } | undefined {
  const stack = [...path];
  const message = walk(v, stack);
  return message === undefined ? undefined : { path: stack, message };
}

/** The problem's message with `stack` left at its path, or undefined with `stack` as it was. */
function walk(v: unknown, stack: (string | number)[]): string | undefined {
  if (typeof v === 'string') return storable(v) ? undefined : STORABLE_MESSAGE;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      stack.push(i);
      const m = walk(v[i], stack);
      if (m !== undefined) return m;
      stack.pop();
    }
  } else if (v && typeof v === 'object') {
    for (const k in v) {
      if (!Object.hasOwn(v, k)) continue;
      stack.push(k);
      if (k === '__proto__') return PROTO_MESSAGE;
      if (!storable(k)) return STORABLE_MESSAGE;
      const m = walk((v as Record<string, unknown>)[k], stack);
      if (m !== undefined) return m;
      stack.pop();
    }
  }
  return undefined;
}

export const inputGuard = (): MiddlewareHandler<AppEnv> =>
  async function inputGuardMiddleware(c, next) {
    const url = c.req.url;
    const q = url.indexOf('?');
    let path: string;
    try {
      path = decodeURIComponent(new URL(url).pathname);
      if (q >= 0) {
        for (const [k, v] of new URLSearchParams(url.slice(q + 1))) {
          // URLSearchParams decodes invalid UTF-8 to U+FFFD; a raw re-decode catches it.
          if (!storable(k) || !storable(v)) return errorResponse(c, 'VALIDATION', `query parameter "${k.slice(0, 40)}": ${STORABLE_MESSAGE}`, [{ path: ['query', k.slice(0, 40)], message: STORABLE_MESSAGE }]);
        }
        decodeURIComponent(url.slice(q + 1).replace(/\+/g, ' '));
      }
    } catch {
      return errorResponse(c, 'VALIDATION', 'the URL is not valid percent-encoded UTF-8');
    }
    if (!storable(path)) return errorResponse(c, 'VALIDATION', `path: ${STORABLE_MESSAGE}`, [{ path: ['path'], message: STORABLE_MESSAGE }]);

    if (c.req.method !== 'GET' && c.req.method !== 'HEAD' && c.req.raw.body !== null) {
      const text = await c.req.text();
      if (text.length > 0) {
        const type = c.req.header('content-type') ?? '';
        if (!JSON_TYPE.test(type)) {
          return errorResponse(c, 'UNSUPPORTED_MEDIA_TYPE', `request bodies are JSON: send "content-type: application/json"${type ? ` (got "${type.slice(0, 80)}")` : ''}`);
        }
        if (jsonDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
          return errorResponse(c, 'VALIDATION', `the JSON body is nested deeper than ${MAX_JSON_DEPTH} levels`, [{ path: ['body'], message: `at most ${MAX_JSON_DEPTH} levels of nesting` }]);
        }
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch (e) {
          return errorResponse(c, 'VALIDATION', `the body is not valid JSON: ${(e as Error).message.slice(0, 200)}`, [{ path: ['body'], message: 'malformed JSON' }]);
        }
        const bad = firstProblem(parsed, ['body']);
        if (bad) return errorResponse(c, 'VALIDATION', `${bad.path.join('.')}: ${bad.message}`, [bad]);
      }
    }
    await next();
  };
