/**
 * The managed agent's HTTP client for the /v1/agent routes: config with ETag and long-poll,
 * reports with their acknowledgement. Every failure is a result (the caller backs off and
 * retries), never an exception that could stop the agent.
 */
import type { ResolvedDirectorConfig } from '../../../schema/src/spec/resolve.ts';
import type { OutboxEvent } from './outbox.ts';

export type Fetched =
  | { kind: 'config'; revision: number; etag: string; config: ResolvedDirectorConfig; maintenance: boolean; applyAt?: number; held?: { revision: number; waitingFor: string[] } }
  | { kind: 'unchanged' }
  /** Worth retrying: the network, a 5xx, a malformed answer. */
  | { kind: 'error'; message: string }
  /** 401: the credential is revoked or the director re-enrolled elsewhere; retrying cannot help. */
  | { kind: 'refused'; message: string };

export type ReportAck = { ok: true; acked: number | null } | { ok: false; message: string; refused?: boolean };

/** What the managed agent needs of the control plane (this client; a fake in unit tests). */
export interface ControlPlaneApi {
  fetchConfig(etag: string | undefined, waitSeconds: number, signal?: AbortSignal): Promise<Fetched>;
  report(body: { events: OutboxEvent[]; state?: unknown; appliedRevision?: number }): Promise<ReportAck>;
}

export class ControlPlaneClient implements ControlPlaneApi {
  constructor(private readonly base: string, private readonly credential: string) {}

  private url(path: string): string {
    return `${this.base.replace(/\/$/, '')}${path}`;
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { authorization: `Bearer ${this.credential}`, ...extra };
  }

  async fetchConfig(etag: string | undefined, waitSeconds: number, signal?: AbortSignal): Promise<Fetched> {
    try {
      const res = await fetch(this.url(`/v1/agent/config${etag ? `?wait=${waitSeconds}` : ''}`), {
        headers: this.headers(etag ? { 'if-none-match': etag } : {}),
        signal: signal ?? AbortSignal.timeout((waitSeconds + 15) * 1000),
      });
      if (res.status === 304) return { kind: 'unchanged' };
      const body = (await res.json().catch(() => ({}))) as { revision?: number; version?: string; maintenance?: boolean; applyAt?: string; held?: { revision: number; waitingFor: string[] }; config?: ResolvedDirectorConfig; error?: { message?: string } };
      if (res.status !== 200 || !body.config || typeof body.revision !== 'number') {
        const message = `GET /v1/agent/config: ${res.status} ${body.error?.message ?? ''}`.trim();
        return res.status === 401 ? { kind: 'refused', message } : { kind: 'error', message };
      }
      return { kind: 'config', revision: body.revision, etag: res.headers.get('etag') ?? `"${body.version ?? `rev-${body.revision}`}"`, config: body.config, maintenance: body.maintenance === true, ...(body.applyAt ? { applyAt: Date.parse(body.applyAt) } : {}), ...(body.held ? { held: body.held } : {}) };
    } catch (e) {
      return { kind: 'error', message: `GET /v1/agent/config: ${(e as Error).message}` };
    }
  }

  async report(body: { events: OutboxEvent[]; state?: unknown; appliedRevision?: number }): Promise<ReportAck> {
    try {
      const res = await fetch(this.url('/v1/agent/reports'), {
        method: 'POST',
        headers: this.headers({ 'content-type': 'application/json' }),
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      });
      const json = (await res.json().catch(() => ({}))) as { acked?: number | null; error?: { message?: string } };
      if (res.status !== 200) return { ok: false, message: `POST /v1/agent/reports: ${res.status} ${json.error?.message ?? ''}`.trim(), ...(res.status === 401 ? { refused: true } : {}) };
      return { ok: true, acked: json.acked ?? null };
    } catch (e) {
      return { ok: false, message: `POST /v1/agent/reports: ${(e as Error).message}` };
    }
  }
}
