// @ts-check
/**
 * The dashboard's only way to the control plane: the public /v1 API, with the session cookie
 * the browser attaches by itself (HttpOnly: this code never sees the token after sign-in).
 * Writes carry X-Vigil-CSRF, the value GET/POST /v1/session returned. URLs are relative to the
 * page, so the dashboard works under whatever path prefix a proxy serves it at.
 */

export class ApiError extends Error {
  /** @param {number} status @param {string} code @param {string} message @param {unknown} [details] */
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** @type {string | null} */
let csrf = null;
/** @param {string | null} v */
export function setCsrf(v) {
  csrf = v;
}

/**
 * An absolute URL for an API path relative to the page ("v1/fleet/map"), with query parameters
 * (empty ones left out).
 * @param {string} path
 * @param {Record<string, string | number | boolean | null | undefined>} [query]
 */
export function apiUrl(path, query = {}) {
  const u = new URL(path, document.baseURI);
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '' && v !== false) u.searchParams.set(k, String(v));
  return u;
}

/** @param {Response} res */
async function parse(res) {
  const text = await res.text();
  /** @type {any} */
  let body;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!res.ok) {
    const e = body?.error;
    throw new ApiError(res.status, e?.code ?? 'HTTP', e?.message ?? `HTTP ${res.status}`, e?.details);
  }
  return body;
}

/** @type {Map<string, Promise<any>>} */
const prefetched = new Map();

/**
 * Starts a read now (the page's first data, alongside the session check); the next `get` of
 * the same URL takes its answer instead of asking again.
 * @param {string} path
 * @param {Record<string, string | number | boolean | null | undefined>} [query]
 */
export function prefetch(path, query) {
  const url = apiUrl(path, query).href;
  const p = fetch(url, { headers: { accept: 'application/json' }, cache: 'no-store', credentials: 'same-origin' }).then(parse);
  p.catch(() => undefined); // a refusal is the later get's to report
  prefetched.set(url, p);
}

/**
 * @param {string} path
 * @param {Record<string, string | number | boolean | null | undefined>} [query]
 * @returns {Promise<any>}
 */
export async function get(path, query) {
  const url = apiUrl(path, query).href;
  const early = prefetched.get(url);
  if (early) {
    prefetched.delete(url);
    return early;
  }
  const res = await fetch(url, { headers: { accept: 'application/json' }, cache: 'no-store', credentials: 'same-origin' });
  return parse(res);
}

/**
 * A write. `bearer` is only for signing in (the token typed into the form, sent once).
 * @param {'POST' | 'PUT' | 'PATCH' | 'DELETE'} method
 * @param {string} path
 * @param {unknown} [body]
 * @param {{ bearer?: string }} [opts]
 * @returns {Promise<any>}
 */
export async function send(method, path, body, opts = {}) {
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (opts.bearer) headers.authorization = `Bearer ${opts.bearer}`;
  else if (csrf) headers['x-vigil-csrf'] = csrf;
  const res = await fetch(apiUrl(path), { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store', credentials: 'same-origin' });
  return parse(res);
}

/** A path segment, encoded. @param {string} v */
export const seg = (v) => encodeURIComponent(v);
