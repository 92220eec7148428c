/**
 * One raw HTTP(S) exchange as keepalived does it: write the request, read the response bytes
 * until the server closes, split header and body at the first CRLFCRLF. Used by the HTTP_GET /
 * SSL_GET probes and by genhash, so both hash exactly the same bytes.
 */
import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import { buildRequest, headerEnd, parseContentLength, parseStatusCode, type HttpProtocol } from '../http-message.ts';
import type { ProbeScope } from '../probe.ts';
import { ProbeError, errorText, tcpConnect, tlsConnectTo, type Endpoint, type TlsConnectOptions } from './connect.ts';

/** Bytes of body kept for the regex (the digest covers all of it). */
export const BODY_KEEP_BYTES = 1024 * 1024;
/** A header that has not ended after this many bytes is not an HTTP response. */
const HEADER_MAX_BYTES = 64 * 1024;

export interface FetchRequest {
  path: string;
  protocol?: HttpProtocol | undefined;
  virtualhost?: string | undefined;
  /** TLS (SSL_GET) when set. */
  tls?: TlsConnectOptions | undefined;
}

export interface RawResponse {
  /** Total bytes received. */
  bytes: number;
  headerComplete: boolean;
  /** Header text (latin1) up to and including CRLFCRLF; '' when incomplete. */
  header: string;
  status?: number | undefined;
  contentLength?: number | undefined;
  /** Hex MD5 of the body bytes (cut at Content-Length). */
  md5: string;
  /** The body's first BODY_KEEP_BYTES bytes. */
  body: Buffer;
  bodyBytes: number;
}

/** Connects, sends the request and reads the whole response; rejects with a ProbeError. */
export async function fetchRaw(scope: ProbeScope, ep: Endpoint, req: FetchRequest): Promise<RawResponse> {
  const socket: Socket = req.tls ? await tlsConnectTo(scope, ep, req.tls) : await tcpConnect(scope, ep);
  const request = buildRequest({ path: req.path, protocol: req.protocol, virtualhost: req.virtualhost, address: ep.host, port: ep.port });
  scope.phase('waiting for the response');
  return new Promise<RawResponse>((resolve, reject) => {
    const md5 = createHash('md5');
    let head: Buffer[] = [];
    let headBytes = 0;
    let response: RawResponse | undefined;
    const kept: Buffer[] = [];
    let keptBytes = 0;
    let total = 0;

    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      socket.removeListener('data', onData);
      if (!response) {
        resolve({ bytes: total, headerComplete: false, header: '', md5: md5.digest('hex'), body: Buffer.alloc(0), bodyBytes: 0 });
        return;
      }
      response.bytes = total;
      response.md5 = md5.digest('hex');
      response.body = Buffer.concat(kept);
      resolve(response);
    };
    const takeBody = (chunk: Buffer) => {
      if (!response) return;
      const room = response.contentLength === undefined ? chunk.length : Math.max(0, response.contentLength - response.bodyBytes);
      const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
      md5.update(part);
      response.bodyBytes += part.length;
      if (keptBytes < BODY_KEEP_BYTES) {
        const keep = part.subarray(0, BODY_KEEP_BYTES - keptBytes);
        kept.push(keep);
        keptBytes += keep.length;
      }
      // keepalived reads on until EOF; once Content-Length is satisfied the answer cannot change.
      if (response.contentLength !== undefined && response.bodyBytes >= response.contentLength) finish();
    };
    const onData = (chunk: Buffer) => {
      if (settled) return;
      total += chunk.length;
      scope.phase('reading the response');
      if (response) return takeBody(chunk);
      head.push(chunk);
      headBytes += chunk.length;
      const all = Buffer.concat(head);
      const end = headerEnd(all);
      if (end < 0) {
        head = [all];
        if (headBytes > HEADER_MAX_BYTES) {
          settled = true;
          reject(new ProbeError(`no end of HTTP header in ${HEADER_MAX_BYTES} bytes`));
        }
        return;
      }
      const header = all.subarray(0, end).toString('latin1');
      response = { bytes: 0, headerComplete: true, header, status: parseStatusCode(header), contentLength: parseContentLength(header), md5: '', body: Buffer.alloc(0), bodyBytes: 0 };
      head = [];
      takeBody(all.subarray(end));
    };
    socket.on('data', onData);
    // 'error' comes before 'close', so a reset mid-response rejects first and finish is a no-op.
    socket.once('error', (err: Error & { code?: string }) => {
      settled = true;
      reject(new ProbeError(errorText('read', err)));
    });
    socket.once('end', finish);
    socket.once('close', finish);
    socket.write(request, 'latin1');
  });
}
