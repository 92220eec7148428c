/**
 * The health worker thread for real: real TCP checks against a loopback server, from a worker
 * thread started through tsx's loader, reporting down and up as the server goes away and back.
 */
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { VirtualServer } from '#schema';
import { HealthWorker } from './health-worker.ts';
import type { RealServerHealth } from './engine.ts';

const listen = (port = 0): Promise<Server> => new Promise((resolve) => {
  const s = createServer((c) => c.destroy());
  s.listen(port, '127.0.0.1', () => resolve(s));
});
const close = (s: Server) => new Promise<void>((r) => s.close(() => r()));

async function until(what: string, pred: () => boolean, ms = 5000): Promise<void> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('HealthWorker (worker thread, real TCP_CHECK on loopback)', () => {
  let w: HealthWorker | undefined;
  afterEach(async () => w?.stop());

  it('reports a real server down when it stops listening and up when it returns', async () => {
    let server = await listen();
    const port = (server.address() as { port: number }).port;
    const vs = {
      address: '192.0.2.100', port: 80, protocol: 'TCP', scheduler: 'wlc', schedulerFlags: [], method: 'NAT', quorum: 1, hysteresis: 0,
      inhibitOnFailure: false, omega: false, haSuspend: false,
      realServers: [{ address: '127.0.0.1', port, weight: 1, checkers: [{ type: 'TCP_CHECK', delayLoopMs: 100, connectTimeoutMs: 300, retry: 0, warmupMs: 0 }] }],
    } as unknown as VirtualServer;
    const changes: RealServerHealth[] = [];
    w = new HealthWorker();
    const initial = await w.start([vs], {}, (h) => changes.push(h));
    expect(initial).toEqual([{ rsKey: `TCP 192.0.2.100:80 -> 127.0.0.1:${port}`, up: true, weight: 1, reason: '' }]);
    await new Promise((r) => setTimeout(r, 300)); // a few attempts, all successful: no change
    expect(changes).toEqual([]);
    await close(server);
    await until('down', () => changes.some((c) => !c.up));
    expect(changes[0]).toMatchObject({ rsKey: `TCP 192.0.2.100:80 -> 127.0.0.1:${port}`, up: false });
    expect(changes[0]!.reason).toMatch(/ECONNREFUSED/);
    server = await listen(port);
    await until('up again', () => changes.at(-1)!.up);
    const stats = await w.stats();
    expect(stats.checkers).toBe(1);
    expect(stats.attempts).toBeGreaterThan(3);
    await close(server);
  });
});
