/**
 * The agent's control socket (a unix socket in the state dir): one JSON request line, one JSON
 * response. `vigil status` is its client; only root (the socket is 0600 in a 0700 dir) can talk.
 */
import { chmodSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';

export type ControlHandler = (request: { command: string; args?: Record<string, unknown> }) => Promise<unknown> | unknown;

export function serveControl(path: string, handler: ControlHandler): Promise<Server> {
  rmSync(path, { force: true }); // a stale socket from a crashed agent
  const server = createServer((conn) => {
    let buf = '';
    conn.setEncoding('utf8');
    conn.on('data', async (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      let reply: unknown;
      try {
        reply = { ok: true, result: await handler(JSON.parse(buf.slice(0, nl)) as { command: string; args?: Record<string, unknown> }) };
      } catch (e) {
        reply = { ok: false, error: (e as Error).message };
      }
      conn.end(`${JSON.stringify(reply)}\n`);
    });
    conn.on('error', () => {});
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      chmodSync(path, 0o600);
      resolve(server);
    });
  });
}

export function requestControl(path: string, command: string, timeoutMs = 5000, args?: Record<string, unknown>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const conn = createConnection(path);
    let buf = '';
    const timer = setTimeout(() => {
      conn.destroy();
      reject(new Error(`no answer from the agent on ${path} within ${timeoutMs} ms`));
    }, timeoutMs);
    conn.setEncoding('utf8');
    conn.on('connect', () => conn.write(`${JSON.stringify(args ? { command, args } : { command })}\n`));
    conn.on('data', (d: string) => (buf += d));
    conn.on('end', () => {
      clearTimeout(timer);
      try {
        const r = JSON.parse(buf) as { ok: boolean; result?: unknown; error?: string };
        if (r.ok) resolve(r.result);
        else reject(new Error(r.error));
      } catch (e) {
        reject(e as Error);
      }
    });
    conn.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}
