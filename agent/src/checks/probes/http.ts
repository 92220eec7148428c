/**
 * HTTP_GET and SSL_GET (keepalived check_http.c / check_ssl.c). Every `url` block is fetched
 * on its own connection, in order; the first failing url fails the check:
 *
 * 1. send keepalived's request (http-message.ts) and read until the server closes (or, an
 *    improvement, until Content-Length bytes of body have arrived);
 * 2. no complete header -> "no HTTP response"; the status must be in `status_code`
 *    (default 200-299);
 * 3. `digest`: MD5 of the raw body (not de-chunked, cut at Content-Length), as genhash prints;
 * 4. `regex` must match the body (`regex_no_match`: must not).
 *
 * Redirects are never followed; a 301 is just a status code. The server certificate is not
 * verified (keepalived does not). The Host header and SNI use the checker's `virtualhost`,
 * which the caller resolves beforehand (url, then checker, then real server, then virtual server:
 * see `withVirtualhost`).
 */
import type { HttpGetCheck, HttpUrl, SslGetCheck } from '#schema';
import { bodyMatches, compileBodyRegex } from '../body-regex.ts';
import { formatStatusCodes, statusAccepted } from '../status-codes.ts';
import { fail, ok, runProbe, type Probe, type ProbeOptions, type ProbeResult, type ProbeScope, type ProbeTarget } from '../probe.ts';
import { endpoint, type Endpoint } from './connect.ts';
import { fetchRaw, type RawResponse } from './http-fetch.ts';

type HttpChecker = HttpGetCheck | SslGetCheck;

/** The checker with `virtualhost` inherited from the real server / virtual server when unset. */
export function withVirtualhost<C extends HttpChecker>(checker: C, realServer?: { virtualhost?: string | undefined }, virtualServer?: { virtualhost?: string | undefined }): C {
  const virtualhost = checker.virtualhost ?? realServer?.virtualhost ?? virtualServer?.virtualhost;
  return virtualhost === undefined ? checker : { ...checker, virtualhost };
}

export const probeHttpGet: Probe<HttpGetCheck> = (checker, target, opts) => probeUrls(checker, target, opts, false);
export const probeSslGet: Probe<SslGetCheck> = (checker, target, opts) => probeUrls(checker, target, opts, true);

async function probeUrls(checker: HttpChecker, target: ProbeTarget, opts: ProbeOptions, tls: boolean): Promise<ProbeResult> {
  const ep = endpoint(checker, target);
  for (const [index, url] of checker.urls.entries()) {
    const result = await runProbe(opts, opts.timeoutMs, (scope) => probeUrl(scope, checker, url, ep, tls));
    if (!result.ok) return checker.urls.length > 1 ? fail(`url ${index + 1} ${url.path}: ${result.reason}`) : result;
  }
  return ok();
}

async function probeUrl(scope: ProbeScope, checker: HttpChecker, url: HttpUrl, ep: Endpoint, tls: boolean): Promise<ProbeResult> {
  // Validate the regex before any traffic: a pattern we cannot run is a failure, every time.
  const regex = url.regex === undefined ? undefined : compileBodyRegex(url.regex, url.regexOptions);
  if (typeof regex === 'string') return fail(regex);
  const virtualhost = url.virtualhost ?? checker.virtualhost;
  const ssl = checker.type === 'SSL_GET' ? checker : undefined;
  const response: RawResponse = await fetchRaw(scope, ep, {
    path: url.path,
    protocol: checker.httpProtocol,
    virtualhost,
    tls: tls ? { servername: ssl?.enableSni ? (ssl.sniName ?? virtualhost) : undefined, compliant: ssl?.tlsCompliant } : undefined,
  });
  if (response.status === undefined) return fail(response.headerComplete ? 'bad HTTP status line' : response.bytes === 0 ? 'no data received' : 'no complete HTTP response header');
  if (!statusAccepted(response.status, url.statusCodes)) return fail(`status ${response.status} not in ${formatStatusCodes(url.statusCodes)}`);
  if (url.digest && url.digest.toLowerCase() !== response.md5) return fail('digest mismatch');
  if (regex) {
    const matched = bodyMatches(regex, response.body, url.regexMinOffset, url.regexMaxOffset);
    if (matched === Boolean(url.regexNoMatch)) return fail(url.regexNoMatch ? 'regex matched (regex_no_match)' : 'regex mismatch');
  }
  return ok();
}
