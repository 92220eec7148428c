/**
 * The managed agent's WebSocket to the control plane (`/v1/agent/ws`): nudges in, reports out
 * (acknowledged by id). Optional by design: when the socket is refused or down, `report`
 * returns undefined and the caller uses HTTP; the long-poll keeps config changes flowing.
 */
import WebSocket from 'ws';
import type { OutboxEvent } from './outbox.ts';

type Ack = { ok: true; acked: number | null } | { ok: false; message: string };

export class AgentChannel {
  private ws: WebSocket | undefined;
  private nextId = 1;
  private readonly waiting = new Map<number, (a: Ack) => void>();

  constructor(private readonly base: string, private readonly credential: string) {}

  get open(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** Connects and serves until the socket closes; resolves whether it was ever open. */
  connect(signal: AbortSignal, onNudge: () => void, warn: (m: string) => void): Promise<boolean> {
    const url = `${this.base.replace(/^http/, 'ws').replace(/\/$/, '')}/v1/agent/ws`;
    return new Promise((resolve) => {
      let opened = false;
      const ws = new WebSocket(url, { headers: { authorization: `Bearer ${this.credential}` }, handshakeTimeout: 10_000 });
      const onAbort = () => ws.terminate();
      signal.addEventListener('abort', onAbort, { once: true });
      ws.on('open', () => {
        opened = true;
        this.ws = ws;
      });
      ws.on('message', (data) => {
        let m: { type?: string; id?: number; acked?: number | null; message?: string };
        try {
          m = JSON.parse(String(data));
        } catch {
          return;
        }
        if (m.type === 'nudge') onNudge();
        else if ((m.type === 'ack' || m.type === 'error') && m.id !== undefined) {
          this.waiting.get(m.id)?.(m.type === 'ack' ? { ok: true, acked: m.acked ?? null } : { ok: false, message: m.message ?? 'error' });
          this.waiting.delete(m.id);
        }
      });
      ws.on('unexpected-response', (_req, res) => {
        warn(`the control plane refused the WebSocket (${res.statusCode}); reporting and fetching over HTTP`);
        ws.terminate();
      });
      ws.on('error', () => { /* 'close' follows */ });
      ws.on('close', () => {
        signal.removeEventListener('abort', onAbort);
        if (this.ws === ws) this.ws = undefined;
        for (const [id, w] of this.waiting) {
          w({ ok: false, message: 'WebSocket closed' });
          this.waiting.delete(id);
        }
        resolve(opened);
      });
    });
  }

  /** A report over the socket; undefined when the socket is not open (use HTTP). */
  async report(body: { events: OutboxEvent[]; state?: unknown; appliedRevision?: number }): Promise<Ack | undefined> {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return undefined;
    const id = this.nextId++;
    return new Promise<Ack>((resolve) => {
      const t = setTimeout(() => {
        this.waiting.delete(id);
        resolve({ ok: false, message: 'no ack within 15 s' });
      }, 15_000);
      this.waiting.set(id, (a) => {
        clearTimeout(t);
        resolve(a);
      });
      ws.send(JSON.stringify({ type: 'report', id, ...body }));
    });
  }
}
