/**
 * Runs in the control plane's namespace (a JSON-lines child, test/support/netns-child.ts):
 *
 * - the database proxy the control plane connects through (127.0.0.1:6432), a plain TCP relay
 *   to whichever Postgres is primary, which can also stall (every byte held, both ways, on old
 *   and new connections: what a dead path looks like to the driver while TCP retransmits; the
 *   bytes arrive when the path heals) and reset (RST every connection), or lose one message and
 *   go half-open on that one connection (`trap`). The data-plane fault injector the issue asks
 *   for: no driver is mocked.
 * - the operator's HTTP client for the API on the control plane's loopback, so the lab can
 *   still operate while the control plane is partitioned from the agents.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { Transform } from 'node:stream';
import type { Emit } from '../../../test/support/netns-child.ts';

type Mode = 'forward' | 'stall';
/** `held`: half-open after a trap; its upstream outlives the client (the server is never told). */
type Pair = { client: Socket; upstream?: Socket; toUpstream?: Transform; held?: boolean };

export function serve(emit: Emit) {
  let target = { host: '127.0.0.1', port: 5432 };
  let mode: Mode = 'forward';
  const pairs = new Set<Pair>();
  let server: Server | undefined;
  let token = '';
  let apiBase = '';
  /** The next client message containing this text is dropped, and its connection goes half-open. */
  let trap: Buffer | undefined;
  let trapped: (() => void) | undefined;

  const hold = (p: Pair) => {
    p.held = true;
    p.client.unpipe();
    p.upstream?.unpipe();
    p.client.pause();
    p.upstream?.pause();
  };
  const connectUpstream = (p: Pair) => {
    const up = createConnection(target);
    p.upstream = up;
    up.setNoDelay(true);
    p.toUpstream = new Transform({
      transform(chunk: Buffer, _enc, done) {
        if (trap && !p.held && chunk.includes(trap)) {
          trap = undefined;
          hold(p);
          trapped?.();
          return done();
        }
        done(null, chunk);
      },
    });
    p.client.pipe(p.toUpstream).pipe(up);
    up.pipe(p.client);
    const end = () => { p.client.destroy(); up.destroy(); pairs.delete(p); };
    up.on('error', end);
    up.on('close', end);
  };

  return {
    async listen(port: number) {
      server = createServer((client) => {
        const p: Pair = { client };
        pairs.add(p);
        client.setNoDelay(true);
        // A held pair's server side is left open: on a half-open path the close never arrives.
        // (It stays listed until the server closes it, or reset/close.)
        const end = () => {
          client.destroy();
          if (p.held) return;
          p.upstream?.destroy();
          pairs.delete(p);
        };
        client.on('error', end);
        client.on('close', end);
        // While stalled a new connection is accepted and held: its bytes wait in the kernel.
        if (mode === 'forward') connectUpstream(p);
        else client.pause();
      });
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(port, '127.0.0.1', () => resolve());
      });
      emit('proxy', { listening: port });
    },
    target(host: string, port: number) {
      target = { host, port };
    },
    /** stall: hold every byte both ways (TCP flow control backs up into the peers) until `forward`. */
    mode(m: Mode) {
      mode = m;
      for (const p of [...pairs]) {
        if (p.held) continue;
        if (m === 'stall') {
          p.client.unpipe();
          p.upstream?.unpipe();
          p.client.pause();
          p.upstream?.pause();
        } else if (!p.upstream) {
          connectUpstream(p);
          p.client.resume();
        } else {
          p.client.pipe(p.toUpstream!);
          p.upstream.pipe(p.client);
        }
      }
    },
    /**
     * The next client message containing `text` (e.g. a transaction's `commit`) is lost, and that
     * connection goes half-open: nothing more passes either way, no error, and the server is not
     * told when the client closes. Resolves when it has happened.
     */
    trap(text: string): Promise<void> {
      trap = Buffer.from(text);
      return new Promise<void>((resolve) => { trapped = resolve; });
    },
    /** RST every connection through the proxy (the driver must reconnect by itself). */
    reset() {
      for (const p of [...pairs]) {
        p.client.resetAndDestroy();
        p.upstream?.destroy();
        pairs.delete(p);
      }
      return pairs.size;
    },
    connections() {
      return pairs.size;
    },
    configureApi(base: string, bearer: string) {
      apiBase = base;
      token = bearer;
    },
    /** One API call; never throws: { status, body } (status 0 = no answer). */
    async api(method: string, path: string, body?: unknown, timeoutMs = 20_000): Promise<{ status: number; body: unknown; text?: string }> {
      try {
        const res = await fetch(`${apiBase}${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, ...(body != null ? { 'content-type': 'application/json' } : {}) },
          ...(body != null ? { body: JSON.stringify(body) } : {}),
          signal: AbortSignal.timeout(timeoutMs),
        });
        const text = await res.text();
        let parsed: unknown = null;
        try { parsed = text ? JSON.parse(text) : null; } catch { return { status: res.status, body: null, text: text.slice(0, 4_000_000) }; }
        return { status: res.status, body: parsed };
      } catch (e) {
        return { status: 0, body: null, text: (e as Error).message };
      }
    },
    close() {
      trap = undefined;
      for (const p of pairs) { p.client.destroy(); p.upstream?.destroy(); }
      server?.close();
    },
  };
}
