/**
 * The agents' WebSocket channel (`/v1/agent/ws`, bearer: the agent credential). The control
 * plane sends `nudge` when the agent's config may have changed (a spec write or an operator
 * action in any replica), so the agent fetches it at once; the agent sends `report` frames (the
 * body of POST /v1/agent/reports with an id) and gets `ack` or `error` for each. An agent whose
 * WebSocket is refused works on plain HTTP (long-poll + POST) just the same.
 *
 * Every frame is hostile until parsed (schema/src/wire/frames.ts): a frame that is not JSON, is
 * nested too deep, or fails the schema gets an error frame, and after MAX_BAD_FRAMES such frames
 * the socket is closed with 1008. Reports are processed one at a time per socket: the socket is
 * paused (no frame is read) until the previous report is committed, so an agent cannot queue
 * work faster than it is stored. The session ends (close 4001) within a second of its
 * credential ending (sessions.ts).
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { AgentFrame, jsonDepth, MAX_JSON_DEPTH, WS_CLOSE, type ServerFrame } from '../../schema/src/wire/index.ts';
import type { Db } from './db.ts';
import { isDatabaseUnavailable } from './db-errors.ts';
import { AppError } from './errors.ts';
import { safeError } from './http/safe-error.ts';
import { firstProblem } from './http/middleware/input-guard.ts';
import { bearerSecret } from './http/middleware/auth.ts';
import { HandshakeGate } from './handshake-gate.ts';
import type { ServiceContext } from './services/context.ts';
import type { IngestGate } from './services/agents/ingest-gate.ts';
import type { ReportCommitter } from './services/agents/commit.ts';
import type { ConfigFanout } from './services/agents/fanout.ts';
import { revisionChanges } from './services/agents/notify.ts';
import { prepareReport, storeReport, type PreparedReport } from './services/agents/report.ts';
import { cpuSlices } from './services/cpu-slices.ts';
import { authenticateToken } from './services/tokens/authenticate.ts';
import type { SessionRegistry } from './sessions.ts';

export const AGENT_WS_PATH = '/v1/agent/ws';
/** Frames that failed to parse before the socket is closed (a bug would send one, not six). */
export const MAX_BAD_FRAMES = 5;
const MAX_FRAME_BYTES = 1024 * 1024;
const PING_EVERY_MS = 30_000;

export interface AgentWsDeps {
  db: Db;
  logger: Logger;
  ingest: IngestGate;
  committer?: ReportCommitter;
  /** Serves `?push=config` connections; without it they get nudges like the others. */
  fanout?: ConfigFanout;
  sessions: SessionRegistry;
  onConnections?: (n: number) => void;
  /** Handshakes at a time, and waiting (handshake-gate.ts); the defaults unless a test sizes it. */
  handshakes?: HandshakeGate;
}

const STATUS_TEXT: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 400: 'Bad Request', 503: 'Service Unavailable' };
const STATUS_CODE: Record<number, string> = { 401: 'UNAUTHORIZED', 403: 'FORBIDDEN', 404: 'NOT_FOUND', 400: 'VALIDATION', 503: 'UNAVAILABLE' };
/** Seconds an agent refused for a full handshake queue is asked to wait (Retry-After). */
const HANDSHAKE_RETRY_AFTER_S = 5;

export function attachAgentWebSocket(server: Server, deps: AgentWsDeps): { close: () => void; clients: () => number } {
  const { db, logger } = deps;
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  const handshakes = deps.handshakes ?? new HandshakeGate();
  const refuse = (socket: Duplex, status: number, message: string, headers = '') => {
    const body = JSON.stringify({ error: { code: STATUS_CODE[status] ?? 'FORBIDDEN', message } });
    socket.end(`HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Forbidden'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${headers}connection: close\r\n\r\n${body}`);
  };
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy()); // a reset during the handshake is not our crash
    if ((req.url ?? '').split('?')[0] !== AGENT_WS_PATH) return refuse(socket, 404, `no WebSocket here; agents connect to ${AGENT_WS_PATH}`);
    // A reconnect flood takes its turn (handshake-gate.ts); past the queue's bound, the agent is
    // told to come back later (it keeps working over HTTP meanwhile).
    const turn = handshakes.enter();
    if (!turn) return refuse(socket, 503, `too many agent handshakes waiting (${handshakes.maxWaiting}); retry in ${HANDSHAKE_RETRY_AFTER_S} s`, `retry-after: ${HANDSHAKE_RETRY_AFTER_S}\r\n`);
    void turn.then(async (release) => {
      try {
        if (socket.destroyed) return; // gave up while waiting
        let actor: Awaited<ReturnType<typeof authenticateToken>>;
        try {
          actor = await authenticateToken(db, bearerSecret(req.headers.authorization));
        } catch (err) {
          return refuse(socket, err instanceof AppError && err.code === 'UNAUTHORIZED' ? 401 : 403, err instanceof AppError ? err.message : 'authentication failed');
        }
        if (actor.type !== 'agent') return refuse(socket, 403, 'the agent WebSocket takes an agent credential (vga_…)');
        const push = /[?&]push=config(&|$)/.test(req.url ?? '') && deps.fanout !== undefined;
        // The session's setup in the process's CPU slices: the lookups of a flood come back
        // together, and set up together they held the event loop for tens of milliseconds.
        await cpuSlices.run(() => wss.handleUpgrade(req, socket, head, (ws) => {
          try {
            serve(ws, { db, actor }, push);
          } catch (e) {
            logger.error({ err: safeError(e) }, 'agent WebSocket setup failed');
            ws.terminate();
          }
        }));
      } catch (e) {
        logger.error({ err: safeError(e) }, 'agent WebSocket handshake failed');
        socket.destroy();
      } finally {
        release();
      }
    });
  };

  const serve = (ws: WebSocket, ctx: ServiceContext, push: boolean) => {
    const actor = ctx.actor as Extract<ServiceContext['actor'], { type: 'agent' }>;
    const send = (f: ServerFrame) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(f));
    };
    let bad = 0;
    let alive = true;
    const abort = new AbortController();
    // Push mode: the config itself, when its version differs from the last one pushed.
    let pushed: string | undefined;
    const pushConfig = () => deps.fanout!.request(actor.clusterId, actor.name, (view) => {
      if (!view || view.version === pushed) return;
      pushed = view.version;
      send({ type: 'config', view });
    });
    const unsubscribe = revisionChanges.subscribe(actor.clusterId, push ? pushConfig : () => send({ type: 'nudge' }), actor.name);
    const unregister = deps.sessions.add({ kind: 'agent', directorId: actor.directorId, credentialHash: actor.credentialHash }, (reason) => {
      send({ type: 'error', code: 'UNAUTHORIZED', message: `session ended: ${reason}` });
      ws.close(WS_CLOSE.credential, 'credential no longer valid');
      setTimeout(() => ws.terminate(), 1000).unref();
    });
    const ping = setInterval(() => {
      if (!alive) return ws.terminate(); // no pong for a whole interval: the peer is gone
      alive = false;
      ws.ping();
    }, PING_EVERY_MS);
    ws.on('pong', () => { alive = true; });
    deps.onConnections?.(wss.clients.size);
    send({ type: 'hello', director: actor.name });
    if (push) pushConfig();

    const refuseFrame = (message: string, id?: number) => {
      bad++;
      send({ type: 'error', code: 'VALIDATION', message, ...(id !== undefined ? { id } : {}) });
      if (bad === MAX_BAD_FRAMES) {
        ws.close(WS_CLOSE.policy, `${bad} frames failed to parse`);
        setTimeout(() => ws.terminate(), 1000).unref(); // no waiting on a hostile peer's close reply
      }
    };

    type Parsed = { refuse: string; id?: number } | { id: number; prepared: PreparedReport };
    // Everything CPU about a frame, run in the process's slices (cpu-slices.ts): a burst of
    // frames from thousands of agents is parsed a few milliseconds at a time, not in one turn.
    const parseFrame = (data: RawData, isBinary: boolean): Parsed => {
      if (isBinary) return { refuse: 'frames are JSON text, not binary' };
      const text = data.toString();
      if (jsonDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) return { refuse: `frame nested deeper than ${MAX_JSON_DEPTH} levels` };
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch {
        return { refuse: 'frames are JSON objects' };
      }
      const problem = firstProblem(raw, []);
      if (problem) return { refuse: `invalid frame: ${problem.path.join('.')}: ${problem.message}` };
      const parsed = AgentFrame.safeParse(raw);
      if (!parsed.success) {
        const i = parsed.error.issues[0];
        const id = (raw as { id?: unknown } | null)?.id;
        return { refuse: `invalid frame: ${i ? `${i.path.join('.') || '(frame)'}: ${i.message}` : 'unknown shape'} (expected {"type":"report","id":N,...})`, ...(typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? { id } : {}) };
      }
      const { type: _t, id, ...body } = parsed.data;
      return { id, prepared: prepareReport(ctx, body, (seq, kind, reason) => logger.warn({ director: actor.name, seq, kind: typeof kind === 'string' ? kind.slice(0, 64) : typeof kind, reason }, 'agent event refused (not stored)')) };
    };

    const onMessage = async (data: RawData, isBinary: boolean) => {
      // Read nothing more from this agent until this frame is answered (backpressure).
      ws.pause();
      let release: (() => void) | undefined;
      let id: number | undefined;
      try {
        const frame = await cpuSlices.run(() => parseFrame(data, isBinary));
        if ('refuse' in frame) return refuseFrame(frame.refuse, frame.id);
        id = frame.id;
        release = await deps.ingest.enter(actor.directorId, abort.signal);
        if (!release) return;
        const r = await storeReport(ctx, frame.prepared, deps.committer);
        send({ type: 'ack', id, ...r });
      } catch (err) {
        const known = err instanceof AppError;
        const away = !known && isDatabaseUnavailable(err);
        if (!known) logger[away ? 'warn' : 'error']({ err: safeError(err), director: actor.name }, away ? 'agent report not stored: database unavailable' : 'agent report failed');
        const message = away ? 'the database is unavailable; the report stays in your outbox and is sent again' : 'internal error storing the report; it stays in your outbox';
        send({ type: 'error', ...(id !== undefined ? { id } : {}), code: known ? err.code : away ? 'UNAVAILABLE' : 'INTERNAL', message: known ? err.message : message });
        if (known && err.code === 'UNAUTHORIZED') ws.close(WS_CLOSE.credential, 'credential no longer valid');
      } finally {
        release?.();
        // Also while closing: the peer's close frame must be read for the close to complete.
        if (ws.readyState === ws.OPEN || ws.readyState === ws.CLOSING) ws.resume();
      }
    };
    ws.on('message', (data, isBinary) => {
      onMessage(data, isBinary).catch((e: unknown) => logger.error({ err: safeError(e) }, 'agent WebSocket frame handler failed'));
    });
    ws.on('close', () => {
      abort.abort();
      clearInterval(ping);
      unsubscribe();
      unregister();
      deps.onConnections?.(wss.clients.size);
    });
    ws.on('error', (err) => logger.warn({ err: err.message, director: actor.name }, 'agent WebSocket error'));
  };
  server.on('upgrade', onUpgrade);
  return {
    close: () => {
      server.off('upgrade', onUpgrade);
      for (const c of wss.clients) c.close(WS_CLOSE.goingAway, 'control plane stopping');
      for (const c of wss.clients) c.terminate();
      wss.close();
    },
    clients: () => wss.clients.size,
  };
}
