/**
 * The dashboard: the files under control-plane/dashboard/, served as they are in the repository
 * (no build step, nothing fetched from elsewhere) at `/` (the page) and `/ui/<version>/*` (its
 * scripts and style, cached for good under a version that is a hash of them all). The page is a client of the public /v1 API like any other; see
 * control-plane/dashboard/README.md for how it is put together.
 *
 * Every page response carries a strict Content-Security-Policy: scripts and styles only from
 * this origin, no inline script or style at all (there is none, so no nonce is needed), no
 * eval, Trusted Types required (an HTML-string sink such as innerHTML throws), no framing, no
 * form submission anywhere (the sign-in form is handled by script: without it the token could
 * end up in a URL).
 *
 * Behind a reverse proxy that strips a path prefix, the proxy announces it in
 * X-Forwarded-Prefix (believed from a `--trusted-proxy` only); the page then gets a <base href>
 * so its relative URLs (scripts, the API) resolve under the prefix. Without one, every URL in
 * the page is relative anyway: served at `/vigil/`, it works under `/vigil/`.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import type { AppEnv } from './http/env.ts';
import { forwardedPrefix, isHttps } from './http/session-cookie.ts';
import type { UrlPolicy } from './install/public-url.ts';
import { packageRoot } from './package-root.ts';

// From the package root, not this module: the compiled CLI runs this code from agent/dist/.
const ROOT = join(packageRoot(), 'control-plane', 'dashboard') + sep;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'self'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

/** What every other response (JSON, scripts for curl) gets: nothing may render it as a page. */
const API_CSP = "default-src 'none'; frame-ancestors 'none'";

interface Asset { body: string; type: string; etag: string }

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

/** Every servable file under the dashboard directory, by URL path (read once). */
function loadAssets(): Map<string, Asset> {
  const out = new Map<string, Asset>();
  for (const file of walk(join(ROOT, 'ui'))) {
    const type = TYPES[extname(file)];
    if (!type) continue; // README, type declarations: not for the browser
    const body = readFileSync(file, 'utf8');
    out.set(`/${relative(ROOT, file).split(sep).join('/')}`, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` });
  }
  return out;
}

/** On the page and its files alike. */
const PAGE_HEADERS: Record<string, string> = {
  'Content-Security-Policy': DASHBOARD_CSP,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
};

/** nosniff on everything, and a deny-all CSP on whatever is not a dashboard file. */
export const securityHeaders = (): MiddlewareHandler<AppEnv> =>
  async function securityHeadersMiddleware(c, next) {
    await next();
    c.res.headers.set('X-Content-Type-Options', 'nosniff');
    if (!c.res.headers.has('Content-Security-Policy')) c.res.headers.set('Content-Security-Policy', API_CSP);
  };

export function mountDashboard(app: Hono<AppEnv>, policy: UrlPolicy): void {
  const assets = loadAssets();
  // The files are served under a version (a hash of all of them): cached for good by the
  // browser (a reload re-asks for the page alone), and a new version is a new URL. Module
  // imports are relative, so they stay within the version they were loaded from.
  const version = createHash('sha256').update([...assets].map(([p, a]) => `${p} ${a.etag}`).sort().join('\n')).digest('base64url').slice(0, 12);
  const index = readFileSync(join(ROOT, 'index.html'), 'utf8').replace(/(href|src)="ui\//g, `$1="ui/${version}/`);
  const serve = (c: Context<AppEnv>, body: string, type: string, etag: string, cache: string) => {
    for (const [k, v] of Object.entries({ ...PAGE_HEADERS, 'Content-Type': type, ETag: etag, 'Cache-Control': cache, Vary: 'X-Forwarded-Prefix' })) c.header(k, v);
    // Browsers honour (and otherwise complain about) COOP only on a secure origin.
    if (isHttps(c, policy)) c.header('Cross-Origin-Opener-Policy', 'same-origin');
    if (c.req.header('if-none-match') === etag) return c.body(null, 304);
    return c.body(body, 200);
  };
  const page = (c: Context<AppEnv>) => {
    const prefix = forwardedPrefix(c, policy);
    // The prefix is a validated path of URL-safe characters: nothing to escape in the attribute.
    const html = prefix ? index.replace('<head>', `<head>\n<base href="${prefix}/">`) : index;
    const etag = `"${createHash('sha256').update(html).digest('base64url').slice(0, 27)}"`;
    return serve(c, html, TYPES['.html']!, etag, 'no-cache');
  };
  app.get('/', page);
  app.get('/index.html', page);
  app.get('/ui/:version/*', (c) => {
    // An older version (a tab opened before an upgrade, loading a view) is gone: the page says
    // so and a reload fetches the new one.
    if (c.req.param('version') !== version) return c.notFound();
    const a = assets.get(`/ui/${c.req.path.slice(`/ui/${version}/`.length)}`);
    if (!a) return c.notFound();
    return serve(c, a.body, a.type, a.etag, 'public, max-age=31536000, immutable');
  });
}
