/**
 * The CLI's HTTP transport to the control plane: node:http(s) with a CA option (a self-signed
 * control plane), a deadline on every request, a bound on every response body, the API's one
 * error shape turned into a CliError with the exit code scripts rely on, and Server-Sent Events
 * for `--follow` (resumed with Last-Event-ID when the stream drops).
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { CliError, EXIT, exitForStatus } from './errors.ts';
import type { ApiSettings } from './config.ts';

export const MAX_BODY_BYTES = 32 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_SSE_EVENT_BYTES = 1024 * 1024;

export interface HttpResponse { status: number; headers: IncomingMessage['headers']; body: Buffer }

export class Http {
  private readonly ca: Buffer | undefined;

  constructor(readonly settings: ApiSettings, private readonly timeoutMs = DEFAULT_TIMEOUT_MS) {
    if (settings.ca) {
      try {
        this.ca = readFileSync(settings.ca);
      } catch (e) {
        throw new CliError(`CA file ${settings.ca} (from ${settings.from.ca}): ${(e as Error).message}`, EXIT.USAGE);
      }
    }
  }

  private open(method: string, path: string, headers: Record<string, string>, onResponse: (res: IncomingMessage) => void, onError: (e: Error) => void) {
    const url = new URL(`${this.settings.api}${path}`);
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, {
      method,
      headers: { accept: 'application/json', 'user-agent': 'vigil-cli', ...(this.settings.token && { authorization: `Bearer ${this.settings.token}` }), ...headers },
      ...(this.ca && { ca: this.ca }),
    }, onResponse);
    req.on('error', onError);
    return req;
  }

  private unreachable(e: Error): CliError {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ECONNREFUSED' ? 'connection refused (is it running? check the URL and port)'
      : code === 'ENOTFOUND' ? 'host not found'
        : /certificate|self.signed|CERT/i.test(`${code} ${e.message}`) ? `TLS: ${e.message} (give the control plane's certificate with --ca FILE, VIGIL_CA or "ca = FILE")`
          : e.message;
    return new CliError(`cannot reach the control plane at ${this.settings.api}: ${why}`, EXIT.UNAVAILABLE);
  }

  /** One request; resolves on any status (the caller maps errors), rejects when unreachable. */
  send(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      let done = false;
      const fail = (e: CliError) => {
        if (done) return;
        done = true;
        reject(e);
      };
      const req = this.open(method, path, { ...(payload && { 'content-type': 'application/json', 'content-length': String(payload.length) }), ...headers }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_BODY_BYTES) {
            req.destroy();
            fail(new CliError(`the control plane's answer to ${method} ${path} is larger than ${MAX_BODY_BYTES} bytes`, EXIT.UNAVAILABLE));
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => {
          clearTimeout(timer);
          if (done) return;
          done = true;
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
        });
        res.on('error', (e) => fail(this.unreachable(e)));
      }, (e) => fail(this.unreachable(e)));
      const timer = setTimeout(() => {
        req.destroy();
        fail(new CliError(`the control plane at ${this.settings.api} did not answer ${method} ${path} within ${this.timeoutMs / 1000} s`, EXIT.UNAVAILABLE));
      }, this.timeoutMs);
      req.end(payload);
    });
  }

  /** A JSON request; a non-2xx answer throws CliError with the API's message and exit code. */
  async json(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await this.send(method, path, body);
    let parsed: unknown;
    try {
      parsed = res.body.length ? JSON.parse(res.body.toString('utf8')) : undefined;
    } catch {
      throw new CliError(`${method} ${path}: HTTP ${res.status} with a body that is not JSON (is ${this.settings.api} a Vigil control plane?)`, res.status >= 400 ? exitForStatus(res.status) : EXIT.UNAVAILABLE);
    }
    if (res.status >= 200 && res.status < 300) return parsed;
    throw apiError(method, path, res.status, parsed);
  }

  /**
   * Server-Sent Events until `signal` aborts. Resumes with Last-Event-ID after a dropped
   * stream (1 s, then up to 30 s apart); an HTTP error other than 5xx/429 ends it.
   */
  async stream(path: string, onEvent: (e: { event: string; id?: string; data: string }) => void, signal: AbortSignal): Promise<void> {
    let lastId: string | undefined;
    let backoff = 1000;
    while (!signal.aborted) {
      const status = await new Promise<number>((resolve, reject) => {
        const req = this.open('GET', path, { accept: 'text/event-stream', ...(lastId && { 'last-event-id': lastId }) }, (res) => {
          if ((res.statusCode ?? 0) >= 300) {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.length < 64 && chunks.push(c));
            res.on('end', () => {
              let body: unknown;
              try { body = JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch { body = undefined; }
              const err = apiError('GET', path, res.statusCode ?? 0, body);
              if (err.exitCode === EXIT.UNAVAILABLE) resolve(res.statusCode ?? 0);
              else reject(err);
            });
            return;
          }
          backoff = 1000;
          let buf = '';
          let event = 'message';
          let id: string | undefined;
          let data: string[] = [];
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            buf += chunk;
            if (buf.length > MAX_SSE_EVENT_BYTES) {
              req.destroy();
              reject(new CliError(`an event from ${path} is larger than ${MAX_SSE_EVENT_BYTES} bytes`, EXIT.UNAVAILABLE));
              return;
            }
            let nl: number;
            while ((nl = buf.indexOf('\n')) !== -1) {
              const line = buf.slice(0, nl).replace(/\r$/, '');
              buf = buf.slice(nl + 1);
              if (line === '') {
                if (data.length) {
                  if (id !== undefined) lastId = id;
                  onEvent({ event, ...(id !== undefined && { id }), data: data.join('\n') });
                }
                event = 'message';
                id = undefined;
                data = [];
              } else if (line.startsWith(':')) continue;
              else {
                const colon = line.indexOf(':');
                const field = colon === -1 ? line : line.slice(0, colon);
                const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
                if (field === 'event') event = value;
                else if (field === 'data') data.push(value);
                else if (field === 'id') id = value;
              }
            }
          });
          res.on('end', () => resolve(200));
          res.on('error', () => resolve(0));
        }, () => resolve(0));
        const abort = () => req.destroy();
        signal.addEventListener('abort', abort, { once: true });
        req.on('close', () => signal.removeEventListener('abort', abort));
        req.end();
      });
      if (signal.aborted) return;
      await new Promise((r) => setTimeout(r, status === 200 ? 200 : backoff));
      backoff = Math.min(30_000, backoff * 2);
    }
  }
}

/** The API's error body `{ error: { code, message, details, requestId } }` as a CliError. */
export function apiError(method: string, path: string, status: number, body: unknown): CliError {
  const e = (body as { error?: { code?: unknown; message?: unknown; details?: unknown; requestId?: unknown } } | undefined)?.error;
  const message = typeof e?.message === 'string' ? e.message.slice(0, 2000) : `HTTP ${status}`;
  const code = typeof e?.code === 'string' ? e.code : `HTTP_${status}`;
  const rid = typeof e?.requestId === 'string' ? ` (request ${e.requestId.slice(0, 64)})` : '';
  return new CliError(`${method} ${path.split('?')[0]}: ${code}: ${message}${rid}`, exitForStatus(status), e?.details);
}
