/**
 * The HTTP request keepalived's HTTP_GET/SSL_GET sends and the few things it reads back
 * (check_http.c `request_template`, lib/html.c). Kept byte-compatible on purpose: the `digest`
 * users configured came from keepalived's genhash, which hashes exactly what these requests
 * return — the raw body after the header, *not* de-chunked, cut at Content-Length if given.
 */
import { isIPv6 } from 'node:net';

export type HttpProtocol = '1.0' | '1.0C' | '1.1';

export interface RequestParams {
  path: string;
  /** Default 1.0 (keepalived's default). 1.0C and 1.1 add "Connection: close". */
  protocol?: HttpProtocol | undefined;
  /** The virtualhost in effect (url, then checker, then real server, then virtual server). */
  virtualhost?: string | undefined;
  /** Where the request goes: the Host header without a virtualhost is "address:port". */
  address: string;
  port: number;
}

/** The request bytes, as keepalived writes them. */
export function buildRequest(p: RequestParams): string {
  const protocol = p.protocol ?? '1.0';
  const address = p.address.split('%')[0]!;
  // Without a virtualhost keepalived sends the address with the port (RFC 2732 brackets for IPv6).
  const host = p.virtualhost ?? `${isIPv6(address) ? `[${address}]` : address}:${p.port}`;
  return (
    `GET ${p.path} HTTP/1.${protocol === '1.1' ? 1 : 0}\r\n` +
    'User-Agent: KeepAliveClient\r\n' +
    (protocol === '1.0' ? '' : 'Connection: close\r\n') +
    `Host: ${host}\r\n\r\n`
  );
}

/** Offset of the body: just after the first CRLFCRLF, or -1 while the header is incomplete. */
export function headerEnd(buf: Buffer): number {
  const i = buf.indexOf('\r\n\r\n', 0, 'latin1');
  return i < 0 ? -1 : i + 4;
}

/**
 * The status code of "HTTP/1.1 200 OK", or undefined when the status line is not one.
 * keepalived wants three digits then a space; a bare "HTTP/1.1 200" (empty reason phrase
 * without its space, which some servers send) is accepted here too.
 */
export function parseStatusCode(header: string): number | undefined {
  const m = /^HTTP\/\d\.\d (\d{3})(?: |\r|$)/.exec(header);
  return m ? Number(m[1]) : undefined;
}

/** Content-Length of the header, or undefined when absent or not a plain decimal number. */
export function parseContentLength(header: string): number | undefined {
  const m = /\r\ncontent-length:[ \t]*(\d+)[ \t]*(?:\r\n|$)/i.exec(header);
  if (!m) return undefined;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) ? n : undefined;
}
