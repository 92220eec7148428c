/**
 * Two control-plane replicas (real `vigil control-plane` processes) on one Postgres: an agent
 * long-polling replica B learns of a spec change made through replica A within a second.
 * Only Postgres LISTEN/NOTIFY can do that: a waiter's own re-check comes after 5 s.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleClusterSpecInput } from '../../schema/src/spec/example.ts';
import { freshDb } from '../support/db.ts';

const VIGIL = join(import.meta.dirname, '../../agent/bin/vigil.mjs');
const TOKEN = 'vgl_replicas-test-bootstrap-token-0123456789';
const spec = (vrid: number) => ({ ...exampleClusterSpecInput, vrrpInstances: { VI_WEB: { ...exampleClusterSpecInput.vrrpInstances.VI_WEB, virtualRouterId: vrid } } });

describe('control-plane replicas on one Postgres', () => {
  let db: Awaited<ReturnType<typeof freshDb>>;
  const procs: ChildProcess[] = [];
  const ports = [18000 + Math.floor(Math.random() * 500), 18600 + Math.floor(Math.random() * 500)];
  const call = async (port: number, method: string, path: string, body?: unknown, token = TOKEN, headers: Record<string, string> = {}) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}), ...headers }, ...(body ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
  };

  const keyDir = mkdtempSync(join(tmpdir(), 'vigil-replicas-'));
  afterAll(() => rmSync(keyDir, { recursive: true, force: true }));
  beforeAll(async () => {
    db = await freshDb('postgres');
    for (const port of ports) {
      // Replicas share one audit key (as production replicas share VIGIL_AUDIT_KEY).
      // Both at once, on an empty database and one data dir: as replicas start in production.
      const p = spawn(process.execPath, [VIGIL, 'control-plane', '--host', '127.0.0.1', '--port', String(port), '--database-url', db.url!, '--data-dir', keyDir], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, VIGIL_BOOTSTRAP_TOKEN: TOKEN } });
      // Its log (stdout) and stderr, the last of them, for a replica that does not come up.
      let err = '';
      const keep = (d: Buffer) => { err = (err + String(d)).slice(-6000); };
      p.stdout!.on('data', keep);
      p.stderr!.on('data', keep);
      Object.assign(p, { errTail: () => err });
      procs.push(p);
    }
    for (const [k, port] of ports.entries()) {
      for (let i = 0; ; i++) {
        const ok = await call(port, 'GET', '/readyz').then((r) => r.status === 200, () => false);
        if (ok) break;
        const p = procs[k] as ChildProcess & { errTail(): string };
        if (p.exitCode !== null) throw new Error(`replica on ${port} exited ${p.exitCode}: ${p.errTail()}`);
        if (i > 450) throw new Error(`replica on ${port} did not become ready in 45 s: ${p.errTail()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }, 60_000);

  afterAll(async () => {
    for (const p of procs) await new Promise<void>((r) => { if (p.exitCode !== null) r(); else { p.once('exit', () => r()); p.kill('SIGTERM'); } });
    await db?.close();
  });

  it('a change through replica A wakes a long-poll on replica B within a second', async () => {
    const [a, b] = ports as [number, number];
    await call(a, 'POST', '/v1/sites', { name: 'alpha' });
    const cluster = (await call(a, 'POST', '/v1/sites/alpha/clusters', { name: 'web' })).body;
    for (const name of ['lb1', 'lb2']) await call(a, 'POST', `/v1/clusters/${cluster.id}/directors`, { name });
    await call(a, 'PUT', `/v1/clusters/${cluster.id}/spec`, { spec: spec(51) });
    const enroll = (await call(a, 'POST', '/v1/sites/alpha/enrollment-tokens', {})).body.secret;
    const cred = (await call(b, 'POST', '/v1/agent/enroll', { cluster: 'web', director: 'lb1' }, enroll)).body.credential;
    const first = await call(b, 'GET', '/v1/agent/config', undefined, cred);
    const etag = first.headers.get('etag')!;
    const polling = call(b, 'GET', '/v1/agent/config?wait=20', undefined, cred, { 'if-none-match': etag });
    await new Promise((r) => setTimeout(r, 500)); // the long-poll is parked on B
    const t0 = performance.now();
    expect((await call(a, 'PUT', `/v1/clusters/${cluster.id}/spec`, { spec: spec(52) })).status).toBe(200);
    const r = await polling;
    const ms = performance.now() - t0;
    expect(r.status).toBe(200);
    expect(r.body.revision).toBe(first.body.revision + 1);
    expect(ms).toBeLessThan(1000);
  });

  it('a token revoked through replica A is refused by replica B at its NOTIFY, not when B\'s one-second token cache runs out', async () => {
    const [a, b] = ports as [number, number];
    for (let k = 0; k < 3; k++) {
      const minted = (await call(a, 'POST', '/v1/tokens', { name: `cached-${k}`, role: 'viewer' })).body;
      // B reads the token and keeps it for up to a second (token-cache.ts); revoked right after.
      expect((await call(b, 'GET', '/v1/sites', undefined, minted.secret)).status).toBe(200);
      const t0 = performance.now();
      expect((await call(a, 'DELETE', `/v1/tokens/${minted.token.id}`)).status).toBe(200);
      let status = 200;
      while (status === 200) {
        status = (await call(b, 'GET', '/v1/sites', undefined, minted.secret)).status;
        if (status === 200) await new Promise((r) => setTimeout(r, 10));
      }
      expect(status).toBe(401);
      // The cache alone would keep it for the rest of its second (about 1,000 ms after the
      // read above); the NOTIFY arrives in milliseconds.
      expect(performance.now() - t0).toBeLessThan(400);
    }
  });

  it('revoking a token through replica A ends its SSE stream on replica B; re-enrolling a director through A closes its WebSocket on B', async () => {
    const [a, b] = ports as [number, number];
    const minted = (await call(a, 'POST', '/v1/tokens', { name: 'sse-replica', role: 'viewer' })).body;
    const res = await fetch(`http://127.0.0.1:${b}/v1/events/stream?maxSeconds=60`, { headers: { authorization: `Bearer ${minted.secret}` } });
    const reader = res.body!.getReader();
    await reader.read();
    const t0 = performance.now();
    expect((await call(a, 'DELETE', `/v1/tokens/${minted.token.id}`)).status).toBe(200);
    while (!(await reader.read()).done) { /* until the stream ends */ }
    expect(performance.now() - t0).toBeLessThan(1500);

    const cluster = (await call(a, 'GET', '/v1/sites/alpha/clusters')).body.items[0];
    const bound = (await call(a, 'POST', '/v1/sites/alpha/enrollment-tokens', { cluster: 'web', director: 'lb2', maxUses: 2 })).body.secret;
    const cred = (await call(a, 'POST', '/v1/agent/enroll', { cluster: 'web', director: 'lb2' }, bound)).body.credential;
    expect(cluster.name).toBe('web');
    const { default: WebSocket } = await import('ws');
    const ws = new WebSocket(`ws://127.0.0.1:${b}/v1/agent/ws`, { headers: { authorization: `Bearer ${cred}` } });
    await new Promise<void>((r, j) => { ws.once('open', () => r()); ws.once('error', j); });
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    const t1 = performance.now();
    expect((await call(a, 'POST', '/v1/agent/enroll', { cluster: 'web', director: 'lb2' }, bound)).status).toBe(201);
    expect(await closed).toBe(4001);
    expect(performance.now() - t1).toBeLessThan(1500);
  });
});
