/**
 * genhash: the MD5 of a web page's body, as HTTP_GET/SSL_GET `digest` wants it (keepalived's
 * `genhash` / `keepalived --genhash`). It sends the same request and hashes the same bytes as the
 * probe (probes/http-fetch.ts), so a digest printed here is the one the check will compare.
 * Like keepalived's, it reports the hash whatever the status code is.
 */
import type { HttpProtocol } from './http-message.ts';
import { fail, runProbe } from './probe.ts';
import { endpoint } from './probes/connect.ts';
import { fetchRaw, type RawResponse } from './probes/http-fetch.ts';

export interface GenhashOptions {
  server: string;
  port: number;
  path: string;
  ssl?: boolean;
  /** Send SNI (the virtualhost) in the TLS handshake (-I). */
  sni?: boolean;
  virtualhost?: string | undefined;
  protocol?: HttpProtocol;
  timeoutMs: number;
  signal?: AbortSignal;
}

export type GenhashResult = { ok: true; md5: string; response: RawResponse } | { ok: false; reason: string };

export async function genhash(o: GenhashOptions): Promise<GenhashResult> {
  let response: RawResponse | undefined;
  const r = await runProbe({ timeoutMs: o.timeoutMs, signal: o.signal ?? new AbortController().signal }, o.timeoutMs, async (scope) => {
    response = await fetchRaw(scope, endpoint({}, { address: o.server, port: o.port }), {
      path: o.path,
      protocol: o.protocol,
      virtualhost: o.virtualhost,
      tls: o.ssl ? { servername: o.sni ? o.virtualhost : undefined } : undefined,
    });
    return response.headerComplete ? { ok: true } : fail(response.bytes === 0 ? 'no data received from remote webserver' : 'no complete HTTP header received');
  });
  if (!r.ok || !response) return { ok: false, reason: r.ok ? 'no response' : r.reason };
  return { ok: true, md5: response.md5, response };
}
