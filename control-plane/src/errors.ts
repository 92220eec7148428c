/**
 * Transport-neutral errors. Services throw these; `http/errors.ts` is the only place that maps
 * them to HTTP. The codes mean:
 * - VALIDATION: the input is malformed or breaks a rule; `details` names the field paths.
 * - UNAUTHORIZED: no credential, or one that is unknown, expired or revoked (HTTP 401).
 * - FORBIDDEN: a valid credential whose role or site scope does not allow this (HTTP 403).
 * - NOT_FOUND: the addressed resource does not exist (or is not visible).
 * - CONFLICT: the write collides with existing state (duplicate name, non-empty parent).
 * - PRECONDITION_FAILED: the request is fine but the current state does not allow it yet.
 * - PAYLOAD_TOO_LARGE: the body exceeds the configured limit.
 * - UNSUPPORTED_MEDIA_TYPE: a body that is not `application/json`.
 * - RATE_LIMITED: too much work queued for this caller; retry after `details.retryAfterSeconds`.
 * - UNAVAILABLE: the database did not answer in time (HTTP 503); retry after `details.retryAfterSeconds`.
 * - INTERNAL: a bug; the client sees only the request id.
 */
export type ErrorCode =
  | 'VALIDATION'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'PRECONDITION_FAILED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'RATE_LIMITED'
  | 'UNAVAILABLE'
  | 'INTERNAL';

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AppError';
  }
}

export const notFound = (what: string, details?: unknown) => new AppError('NOT_FOUND', `${what} not found`, details);
export const conflict = (message: string, details?: unknown) => new AppError('CONFLICT', message, details);
export const forbidden = (message: string) => new AppError('FORBIDDEN', message);
export const validation = (message: string, details?: unknown) => new AppError('VALIDATION', message, details);
export const rateLimited = (message: string, retryAfterSeconds: number) => new AppError('RATE_LIMITED', message, { retryAfterSeconds });
