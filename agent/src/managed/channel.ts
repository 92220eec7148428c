/**
 * The managed agent's WebSocket to the control plane (`/v1/agent/ws?push=config`): its config
 * pushed in (or a nudge, from a control plane that does not push), reports out (acknowledged by
 * id). Optional by design: when the socket is refused or down, `report`
 * returns undefined and the caller uses HTTP; the long-poll keeps config changes flowing.
 * Every frame from the control plane is parsed with the wire contract (ServerFrame) before a
 * field is read; a frame that does not parse is ignored and counted in one warning per socket.
 */
import WebSocket from 'ws';
import type { z } from 'zod';
import { ServerFrame, WS_CLOSE, type ReportFrame } from '../../../schema/src/wire/index.ts';
import { fetchedFromView, type Fetched, type ReportAck, type ReportBody } from './client.ts';

/** Largest frame accepted from the control plane (an ack or a nudge is a few hundred bytes). */
const MAX_FRAME_BYTES = 1024 * 1024;

export class AgentChannel {
  private ws: WebSocket | undefined;
  private nextId = 1;
  private readonly waiting = new Map<number, (a: ReportAck) => void>();

  constructor(private readonly base: string, private readonly credential: string) {}

  get open(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** Open, and the control plane pushes configs on it (it has pushed at least one). */
  get pushing(): boolean {
    return this.open && this.pushed;
  }

  private pushed = false;

  /**
   * Connects and serves until the socket closes; resolves whether it was ever open. `onRefused`
   * hears that the credential is no longer valid (a 401 upgrade, or close code 4001).
   */
  connect(signal: AbortSignal, onNudge: () => void, warn: (m: string) => void, onRefused?: (m: string) => void, onConfig?: (f: Extract<Fetched, { kind: 'config' }>) => void): Promise<boolean> {
    const url = `${this.base.replace(/^http/, 'ws').replace(/\/$/, '')}/v1/agent/ws${onConfig ? '?push=config' : ''}`;
    this.pushed = false;
    return new Promise((resolve) => {
      let opened = false;
      let malformed = 0;
      const ws = new WebSocket(url, { headers: { authorization: `Bearer ${this.credential}` }, handshakeTimeout: 10_000, maxPayload: MAX_FRAME_BYTES });
      const onAbort = () => ws.terminate();
      signal.addEventListener('abort', onAbort, { once: true });
      ws.on('open', () => {
        opened = true;
        this.ws = ws;
      });
      ws.on('message', (data) => {
        let raw: unknown;
        try {
          raw = JSON.parse(String(data));
        } catch {
          raw = undefined;
        }
        const f = ServerFrame.safeParse(raw);
        if (!f.success) {
          if (malformed++ === 0) warn('the control plane sent a WebSocket frame that is not in the wire contract; ignored');
          return;
        }
        const m = f.data;
        if (m.type === 'nudge') onNudge();
        else if (m.type === 'config' && onConfig) {
          this.pushed = true;
          onConfig(fetchedFromView(m.view));
        }
        else if ((m.type === 'ack' || m.type === 'error') && m.id !== undefined) {
          this.waiting.get(m.id)?.(m.type === 'ack' ? { ok: true, acked: m.acked, refused: m.refused, conflicts: m.conflicts, seqAbove: m.seqAbove } : { ok: false, message: m.message });
          this.waiting.delete(m.id);
        }
      });
      ws.on('unexpected-response', (_req, res) => {
        if (res.statusCode === 401) onRefused?.(`WebSocket upgrade: ${res.statusCode}`);
        else warn(`the control plane refused the WebSocket (${res.statusCode}); reporting and fetching over HTTP`);
        ws.terminate();
      });
      ws.on('error', () => { /* 'close' follows */ });
      ws.on('close', (code) => {
        signal.removeEventListener('abort', onAbort);
        if (code === WS_CLOSE.credential) onRefused?.(`WebSocket closed with ${code}`);
        if (this.ws === ws) this.ws = undefined;
        this.pushed = false;
        for (const [id, w] of this.waiting) {
          w({ ok: false, message: 'WebSocket closed' });
          this.waiting.delete(id);
        }
        resolve(opened);
      });
    });
  }

  /** A report over the socket; undefined when the socket is not open (use HTTP). */
  async report(body: ReportBody): Promise<ReportAck | undefined> {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return undefined;
    const id = this.nextId++;
    return new Promise<ReportAck>((resolve) => {
      const t = setTimeout(() => {
        this.waiting.delete(id);
        resolve({ ok: false, message: 'no ack within 15 s' });
      }, 15_000);
      this.waiting.set(id, (a) => {
        clearTimeout(t);
        resolve(a);
      });
      const frame = { type: 'report', id, ...body } satisfies Omit<z.input<typeof ReportFrame>, 'events'> & { events: unknown[] };
      ws.send(JSON.stringify(frame));
    });
  }
}
