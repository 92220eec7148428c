/** Telling a database that is away from a statement that is wrong. */
/** Node socket errors and postgres.js's own connection error codes (not CONNECTION_ENDED: that is our own end()). */
const CONNECTION_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH',
  'CONNECTION_CLOSED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT',
]);

/**
 * Whether `err` (or what it wraps: drizzle puts the driver's error in `cause`) says the database
 * is unreachable or going away, not that the statement was wrong: a lost connection, SQLSTATE
 * class 08 (connection exception), 57P01-57P03 (shutting down, crashed, starting up), or 25006
 * (a write reached a standby: a failover under way). The caller answers UNAVAILABLE, not a bug.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    const code = typeof e.code === 'string' ? e.code : '';
    if (CONNECTION_CODES.has(code) || code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '25006') return true;
  }
  return false;
}
