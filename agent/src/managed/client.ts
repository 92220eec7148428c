/**
 * The managed agent's HTTP client for the /v1/agent routes: config with ETag and long-poll,
 * reports with their acknowledgement. Every answer is parsed with the wire contract
 * (schema/src/wire) before a field is read; every failure is a result (the caller backs off and
 * retries), never an exception that could stop the agent.
 */
import { z } from 'zod';
import type { ResolvedDirectorConfig } from '../../../schema/src/spec/resolve.ts';
import { AgentConfigView, ReportAck as ReportAckWire, type ReportInput } from '../../../schema/src/wire/index.ts';
import type { OutboxEvent } from './outbox.ts';
import { resolvedFromWire } from './wire-config.ts';

export type Fetched =
  | { kind: 'config'; revision: number; etag: string; config: ResolvedDirectorConfig; maintenance: boolean; applyAt?: number; held?: { revision: number; waitingFor: string[] } }
  | { kind: 'unchanged' }
  /** Worth retrying: the network, a 5xx, a malformed answer. */
  | { kind: 'error'; message: string }
  /** 401: the credential is revoked or the director re-enrolled elsewhere; retrying cannot help. */
  | { kind: 'refused'; message: string };

export type ReportAck =
  | { ok: true; acked: number | null; refused?: Array<{ seq: number; reason: string }>; conflicts?: number[]; seqAbove?: number | null }
  | { ok: false; message: string; refused?: boolean };

/** A report as the agent sends it: wire-shaped (z.input of ReportInput), events from the outbox. */
export type ReportBody = Omit<z.input<typeof ReportInput>, 'events'> & { events: OutboxEvent[] };

/** What the managed agent needs of the control plane (this client; a fake in unit tests). */
export interface ControlPlaneApi {
  fetchConfig(etag: string | undefined, waitSeconds: number, signal?: AbortSignal): Promise<Fetched>;
  report(body: ReportBody): Promise<ReportAck>;
}

/** The control plane's error envelope, as much of it as a log line needs. */
const ErrorBody = z.object({ error: z.object({ message: z.string().max(2000) }) });
const errorText = (raw: unknown) => {
  const e = ErrorBody.safeParse(raw);
  return e.success ? e.data.error.message : '';
};
const issue = (e: z.ZodError) => `${e.issues[0]?.path.join('.') || '(body)'}: ${e.issues[0]?.message ?? 'invalid'}`;

/** A parsed config view (a GET answer or a pushed `config` frame) as the agent runs it. */
export function fetchedFromView(v: AgentConfigView, etag?: string): Extract<Fetched, { kind: 'config' }> {
  return {
    kind: 'config',
    revision: v.revision,
    etag: etag ?? `"${v.version}"`,
    config: resolvedFromWire(v.config),
    maintenance: v.maintenance,
    ...(v.applyAt ? { applyAt: Date.parse(v.applyAt) } : {}),
    ...(v.held ? { held: v.held } : {}),
  };
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
    const what = 'GET /v1/agent/config';
    try {
      const res = await fetch(this.url(`/v1/agent/config${etag ? `?wait=${waitSeconds}` : ''}`), {
        headers: this.headers(etag ? { 'if-none-match': etag } : {}),
        signal: signal ?? AbortSignal.timeout((waitSeconds + 15) * 1000),
      });
      if (res.status === 304) return { kind: 'unchanged' };
      const raw: unknown = await res.json().catch(() => undefined);
      if (res.status !== 200) {
        const message = `${what}: ${res.status} ${errorText(raw)}`.trim();
        return res.status === 401 ? { kind: 'refused', message } : { kind: 'error', message };
      }
      const view = AgentConfigView.safeParse(raw);
      if (!view.success) return { kind: 'error', message: `${what}: the answer is not a config view (${issue(view.error)}); running the current config` };
      return fetchedFromView(view.data, res.headers.get('etag') ?? undefined);
    } catch (e) {
      return { kind: 'error', message: `${what}: ${(e as Error).message}` };
    }
  }

  async report(body: ReportBody): Promise<ReportAck> {
    const what = 'POST /v1/agent/reports';
    try {
      const res = await fetch(this.url('/v1/agent/reports'), {
        method: 'POST',
        headers: this.headers({ 'content-type': 'application/json' }),
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      });
      const raw: unknown = await res.json().catch(() => undefined);
      if (res.status !== 200) return { ok: false, message: `${what}: ${res.status} ${errorText(raw)}`.trim(), ...(res.status === 401 ? { refused: true } : {}) };
      const ack = ReportAckWire.safeParse(raw);
      if (!ack.success) return { ok: false, message: `${what}: the answer is not an acknowledgement (${issue(ack.error)})` };
      return { ok: true, acked: ack.data.acked, refused: ack.data.refused, conflicts: ack.data.conflicts, seqAbove: ack.data.seqAbove };
    } catch (e) {
      return { ok: false, message: `${what}: ${(e as Error).message}` };
    }
  }
}
