/**
 * HTTP_GET/SSL_GET `status_code`: a list of codes and inclusive ranges; keepalived's default is
 * 200-299 when the url has none (check_http.c, HTTP_DEFAULT_STATUS_CODE_MIN/MAX).
 */
import type { StatusCodeRange } from '#schema';

export const DEFAULT_STATUS_CODES: readonly StatusCodeRange[] = [{ from: 200, to: 299 }];

/** True when `code` is one of `codes` (default 200-299). */
export function statusAccepted(code: number, codes: readonly StatusCodeRange[] | undefined): boolean {
  const list = codes && codes.length > 0 ? codes : DEFAULT_STATUS_CODES;
  return list.some((c) => (typeof c === 'number' ? c === code : code >= c.from && code <= c.to));
}

/** "200-299", "200 301-302" — the keepalived spelling, for failure reasons. */
export function formatStatusCodes(codes: readonly StatusCodeRange[] | undefined): string {
  const list = codes && codes.length > 0 ? codes : DEFAULT_STATUS_CODES;
  return list.map((c) => (typeof c === 'number' ? String(c) : c.from === c.to ? String(c.from) : `${c.from}-${c.to}`)).join(' ');
}
