/**
 * The ONLY place errors become HTTP responses. One JSON shape for every failure:
 * `{ "error": { "code", "message", "details?", "requestId" } }`. Unknown errors are logged with
 * their stack and answered with an opaque 500 that carries only the request id.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ZodError, type z } from 'zod';
import { isDatabaseUnavailable } from '../db-errors.ts';
import { AppError, type ErrorCode } from '../errors.ts';
import type { AppEnv } from './env.ts';
import { safeError } from './safe-error.ts';

const status: Record<ErrorCode, ContentfulStatusCode> = {
  VALIDATION: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PRECONDITION_FAILED: 412,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown; requestId: string };
}

export function errorResponse(c: Context<AppEnv>, code: ErrorCode, message: string, details?: unknown) {
  const body: ErrorBody = { error: { code, message, ...(details === undefined ? {} : { details }), requestId: c.get('requestId') ?? '' } };
  if (code === 'UNAUTHORIZED') c.header('WWW-Authenticate', 'Bearer realm="vigil"');
  const retryAfter = (details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
  if ((code === 'RATE_LIMITED' || code === 'UNAVAILABLE') && typeof retryAfter === 'number') c.header('Retry-After', String(retryAfter));
  return c.json(body, status[code]);
}

/** zod issues as `{ path, message, code }`, where path is where in the request the problem is. */
export function zodDetails(err: z.ZodError, prefix: (string | number)[] = []) {
  return err.issues.map((i) => ({
    path: [...prefix, ...i.path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
    message: i.message,
    code: i.code,
  }));
}

export function describeZodError(err: z.ZodError, where: string): string {
  const first = err.issues[0];
  if (!first) return `invalid ${where}`;
  const path = first.path.length ? first.path.join('.') : '(root)';
  const more = err.issues.length > 1 ? ` (and ${err.issues.length - 1} more issue(s))` : '';
  return `invalid ${where}: ${path}: ${first.message}${more}`;
}

export function onError(err: Error, c: Context<AppEnv>) {
  if (err instanceof AppError) return errorResponse(c, err.code, err.message, err.details);
  if (err instanceof ZodError) return errorResponse(c, 'VALIDATION', describeZodError(err, 'input'), zodDetails(err));
  if (err instanceof HTTPException) {
    // Hono's own 4xx: malformed JSON, wrong content type, body limit.
    if (err.status === 413) return errorResponse(c, 'PAYLOAD_TOO_LARGE', err.message || 'request body too large');
    if (err.status === 400) return errorResponse(c, 'VALIDATION', err.message || 'bad request');
    if (err.status === 401) return errorResponse(c, 'UNAUTHORIZED', err.message || 'unauthorized');
  }
  if (isDatabaseUnavailable(err)) {
    // The database restarting or failing over is not a bug: a warning, and a status that says retry.
    c.get('logger')?.warn({ err: safeError(err), requestId: c.get('requestId') }, 'database unavailable');
    return errorResponse(c, 'UNAVAILABLE', 'the database is unavailable (connection lost, or it is restarting or failing over); retry shortly, and read back a write before repeating it', { retryAfterSeconds: 2 });
  }
  c.get('logger')?.error({ err: safeError(err), requestId: c.get('requestId') }, 'unhandled error');
  return errorResponse(c, 'INTERNAL', 'internal error; quote the request id when reporting it');
}
