/**
 * The agents' WebSocket channel (`/v1/agent/ws`, bearer: the agent credential). The control
 * plane sends `{"type":"nudge"}` when the agent's config may have changed (a spec write or an
 * admin action in any replica), so the agent fetches it at once; the agent sends reports
 * (`{"type":"report","id":n,...}` with the body of POST /v1/agent/reports) and gets
 * `{"type":"ack","id":n,"acked":seq}` or `{"type":"error","id":n,"message":...}`. An agent
 * whose WebSocket is refused works on plain HTTP (long-poll + POST) just the same.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Db } from './db.ts';
import { AppError } from './errors.ts';
import type { ServiceContext } from './services/context.ts';
import { revisionChanges } from './services/agents/notify.ts';
import { ingestReport } from './services/agents/report.ts';
import { authenticateToken } from './services/tokens/authenticate.ts';

export const AGENT_WS_PATH = '/v1/agent/ws';

export function attachAgentWebSocket(server: Server, db: Db, logger: Logger): { close: () => void; clients: () => number } {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  const refuse = (socket: Duplex, status: number, message: string) => {
    socket.end(`HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : 'Not Found'}\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n${JSON.stringify({ error: { code: status === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN', message } })}`);
  };
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if ((req.url ?? '').split('?')[0] !== AGENT_WS_PATH) return refuse(socket, 404, 'no WebSocket here');
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    authenticateToken(db, m?.[1]).then((actor) => {
      if (actor.type !== 'agent') return refuse(socket, 403, 'the agent WebSocket takes an agent credential (vga_…)');
      wss.handleUpgrade(req, socket, head, (ws) => serve(ws, { db, actor }));
    }, (err: unknown) => refuse(socket, err instanceof AppError && err.code === 'UNAUTHORIZED' ? 401 : 403, (err as Error).message));
  };
  const serve = (ws: WebSocket, ctx: ServiceContext) => {
    const actor = ctx.actor as Extract<ServiceContext['actor'], { type: 'agent' }>;
    const unsubscribe = revisionChanges.subscribe(actor.clusterId, () => ws.send('{"type":"nudge"}'));
    ws.send(JSON.stringify({ type: 'hello', director: actor.name }));
    ws.on('message', (data) => {
      let msg: { type?: string; id?: number } & Record<string, unknown>;
      try {
        msg = JSON.parse(String(data));
      } catch {
        ws.send(JSON.stringify({ type: 'error', message: 'messages are JSON objects' }));
        return;
      }
      if (msg.type !== 'report') {
        ws.send(JSON.stringify({ type: 'error', id: msg.id, message: `unknown message type "${String(msg.type)}" (expected "report")` }));
        return;
      }
      const { type: _t, id, ...body } = msg;
      ingestReport(ctx, body as never).then(
        (r) => ws.send(JSON.stringify({ type: 'ack', id, ...r })),
        (err: Error) => ws.send(JSON.stringify({ type: 'error', id, message: err.message })),
      );
    });
    ws.on('close', unsubscribe);
    ws.on('error', (err) => logger.warn({ err: err.message, director: actor.name }, 'agent WebSocket error'));
  };
  server.on('upgrade', onUpgrade);
  return {
    close: () => {
      server.off('upgrade', onUpgrade);
      for (const c of wss.clients) c.terminate();
      wss.close();
    },
    clients: () => wss.clients.size,
  };
}
