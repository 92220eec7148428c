/**
 * The dashboard's session: the browser trades its API token for a cookie that carries it
 * (`POST /v1/session` with the token as the bearer), so page scripts never hold the token
 * after sign-in and it never appears in a URL. The cookie is
 *
 * - HttpOnly: a script injected into the page (if one ever ran despite the CSP) cannot read it;
 * - SameSite=Strict: no other site's page can make the browser send it;
 * - scoped to `<prefix>/v1`: behind a proxy that serves other applications on the same host,
 *   only Vigil's API receives it;
 * - Secure when the request arrived over HTTPS (this server's own scheme, or X-Forwarded-Proto
 *   from a trusted proxy).
 *
 * Forwarded headers (X-Forwarded-Prefix, X-Forwarded-Proto) are believed only from a
 * `--trusted-proxy`, as for the install script's URL (install/public-url.ts).
 *
 * It holds the API token itself, so revoking or expiring the token ends every session (the token
 * is checked on every request, as for a bearer; services/tokens/token-cache.ts says how fresh).
 *
 * A cookie-authenticated request that changes something must also carry `X-Vigil-CSRF`, a value
 * derived from the token that only a same-origin page can learn (from GET/POST /v1/session),
 * and must not be marked cross-site by the browser (Sec-Fetch-Site). A bearer request needs
 * neither: a browser never attaches a bearer header on its own.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { isTrustedProxy, type UrlPolicy } from '../install/public-url.ts';

export const SESSION_COOKIE = 'vigil_session';
export const CSRF_HEADER = 'x-vigil-csrf';
/** A dashboard session lasts at most this long; the token's own expiry ends it sooner. */
export const SESSION_MAX_AGE_S = 12 * 3600;

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** `/a/b` path segments of URL-safe characters (never `.` or `..`): what a proxy may announce as its prefix. */
const PREFIX = /^(\/[A-Za-z0-9._~-]{1,64}){1,8}$/;

/** The token-derived value a page must echo in X-Vigil-CSRF. */
export function csrfFor(secret: string): string {
  return createHmac('sha256', secret).update('vigil dashboard csrf v1').digest('base64url');
}

/** The peer address of the connection (undefined in-process). */
function peerOf(c: Context): string | undefined {
  return (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress;
}

/**
 * The path prefix a trusted reverse proxy strips and announces (X-Forwarded-Prefix), or '' if
 * none, malformed, or not from a trusted proxy.
 */
export function forwardedPrefix(c: Context, policy: UrlPolicy): string {
  if (!isTrustedProxy(peerOf(c), policy.trustedProxies)) return '';
  const p = c.req.header('x-forwarded-prefix')?.trim().replace(/\/+$/, '');
  return p && PREFIX.test(p) && !/(^|\/)\.+(\/|$)/.test(p) ? p : '';
}

/** Whether the browser reached us over HTTPS (this server's scheme, or a trusted proxy's word). */
export function isHttps(c: Context, policy: UrlPolicy): boolean {
  const forwarded = isTrustedProxy(peerOf(c), policy.trustedProxies) ? c.req.header('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase() : undefined;
  return forwarded ? forwarded === 'https' : policy.scheme === 'https' || new URL(c.req.url).protocol === 'https:';
}

export function sessionSecret(c: Context): string | undefined {
  const v = getCookie(c, SESSION_COOKIE);
  return v && /^vgl_[A-Za-z0-9_-]{16,200}$/.test(v) ? v : undefined;
}

export function setSessionCookie(c: Context, policy: UrlPolicy, secret: string, maxAgeS: number): void {
  setCookie(c, SESSION_COOKIE, secret, { path: `${forwardedPrefix(c, policy)}/v1`, httpOnly: true, sameSite: 'Strict', secure: isHttps(c, policy), maxAge: Math.max(0, Math.floor(maxAgeS)) });
}

export function clearSessionCookie(c: Context, policy: UrlPolicy): void {
  deleteCookie(c, SESSION_COOKIE, { path: `${forwardedPrefix(c, policy)}/v1`, httpOnly: true, sameSite: 'Strict', secure: isHttps(c, policy) });
}

/**
 * Why a cookie-authenticated request must be refused, or null when it may go on. Reads
 * (GET/HEAD) only need to come from this site; writes also need the CSRF value.
 */
export function csrfProblem(c: Context, secret: string): string | null {
  // Browsers mark every request; a request from another site (or a sibling subdomain) is not the dashboard.
  const site = c.req.header('sec-fetch-site');
  if (site && site !== 'same-origin' && site !== 'none') return `a session cookie is accepted only from this site's own pages (Sec-Fetch-Site: ${site})`;
  if (!UNSAFE.has(c.req.method)) return null;
  const given = c.req.header(CSRF_HEADER) ?? '';
  const want = csrfFor(secret);
  if (given.length !== want.length || !timingSafeEqual(Buffer.from(given), Buffer.from(want))) {
    return `a write with the session cookie needs the ${CSRF_HEADER} header (GET /v1/session gives its value)`;
  }
  return null;
}
