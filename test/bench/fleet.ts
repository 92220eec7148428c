/**
 * `npm run bench -- fleet`: the control plane (a real `vigil control-plane` process on a real
 * Postgres) with N simulated agents (default 2,000) speaking the real protocol: enrolled with an
 * enrollment token, each keeps the agent WebSocket, fetches its config with its ETag, and on
 * a nudge fetches the new revision and reports it applied over the socket.
 *
 * Prints: time from a spec change to every agent of the changed clusters acknowledging it
 * (p50/p99/max over agents), sustained event ingest (events/s, stored once each), and the
 * control plane's memory per connected agent (RSS delta / N). `--agents=N`, `--per-cluster=K`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startPostgres } from '../support/postgres-server.ts';
import { pct, rssMb } from './capture.ts';

const VIGIL = join(import.meta.dirname, '../../agent/bin/vigil.mjs');
const TOKEN = 'vgl_fleet-bench-bootstrap-token-0123456789abcdef';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const specFor = (names: string[], vrid: number, vip: number) => ({
  version: 1,
  directors: Object.fromEntries(names.map((n) => [n, {}])),
  vrrpInstances: {
    VI_1: {
      interface: 'eth0', virtualRouterId: vrid, version: 3, advertIntervalMs: 1000,
      virtualIpAddresses: [`10.${(vip >> 8) & 255}.${vip & 255}.1/24`],
      directors: Object.fromEntries(names.map((n, i) => [n, { priority: 200 - i }])),
    },
  },
});

interface SimAgent {
  name: string;
  clusterIdx: number;
  cred: string;
  ws?: WebSocket;
  etag?: string;
  seq: number;
  /** Outbox sequence (per director, as a real agent keeps it). */
  evSeq: number;
  appliedAt?: number;
  waiting: Map<number, () => void>;
}

export async function run(args: string[]): Promise<void> {
  const opt = (n: string) => args.find((a) => a.startsWith(`--${n}=`))?.split('=')[1];
  const N = Number(opt('agents') ?? 2000);
  const K = Number(opt('per-cluster') ?? 10);
  const clusters = Math.ceil(N / K);
  const pg = await startPostgres();
  const port = 18900 + Math.floor(Math.random() * 90);
  const base = `http://127.0.0.1:${port}`;
  let cp: ChildProcess | undefined;
  const agents: SimAgent[] = [];
  const api = async (method: string, path: string, body?: unknown, token = TOKEN, headers: Record<string, string> = {}) => {
    const r = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await r.text();
    return { status: r.status, etag: r.headers.get('etag') ?? undefined, body: text ? JSON.parse(text) : null };
  };
  const must = async (method: string, path: string, body?: unknown, token?: string) => {
    const r = await api(method, path, body, token);
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
    return r.body;
  };
  /** The control plane's V8 heap in use (its own /metrics). */
  const heapMb = async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    const m = /^vigil_cp_nodejs_heap_size_used_bytes (\S+)$/m.exec(text);
    return m ? Number(m[1]) / 1024 / 1024 : NaN;
  };
  const limit = async <T>(items: T[], n: number, f: (x: T) => Promise<void>) => {
    let i = 0;
    await Promise.all(Array.from({ length: n }, async () => { while (i < items.length) await f(items[i++]!); }));
  };
  try {
    cp = spawn(process.execPath, ['--max-old-space-size=4096', VIGIL, 'control-plane', '--host', '127.0.0.1', '--port', String(port), '--database-url', pg.url, '--data-dir', mkdtempSync(join(tmpdir(), 'vigil-bench-'))], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, VIGIL_BOOTSTRAP_TOKEN: TOKEN, LOG_LEVEL: 'warn' } });
    for (let i = 0; ; i++) {
      if ((await api('GET', '/readyz').catch(() => ({ status: 0 }))).status === 200) break;
      if (i > 300) throw new Error('control plane did not start');
      await sleep(100);
    }
    // Setup: clusters of K directors, each with a spec; one enrollment token for all.
    await must('POST', '/v1/sites', { name: 'fleet' });
    const clusterIds: string[] = [];
    for (let c = 0; c < clusters; c++) {
      const id = (await must('POST', '/v1/sites/fleet/clusters', { name: `c${c}` })).id as string;
      clusterIds.push(id);
      const names = Array.from({ length: K }, (_, i) => `d${c}-${i}`);
      for (const n of names) await must('POST', `/v1/clusters/${id}/directors`, { name: n });
      await must('PUT', `/v1/clusters/${id}/spec`, { spec: specFor(names, (c % 255) + 1, c) });
    }
    const enroll = (await must('POST', '/v1/sites/fleet/enrollment-tokens', { maxUses: N + 10, expiresInSeconds: 3600 })).secret as string;
    const t0 = performance.now();
    const all = Array.from({ length: N }, (_, i) => ({ c: Math.floor(i / K), name: `d${Math.floor(i / K)}-${i % K}` }));
    await limit(all, 16, async ({ c, name }) => {
      const r = await must('POST', '/v1/agent/enroll', { cluster: `c${c}`, director: name }, enroll);
      agents.push({ name, clusterIdx: c, cred: r.credential, seq: 0, evSeq: 0, waiting: new Map() });
    });
    process.stderr.write(`enrolled ${N} agents in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    await sleep(3000);
    const rss0 = rssMb(cp.pid!);
    const heap0 = await heapMb();

    // Connect: WebSocket + first config fetch.
    const fetchConfig = async (a: SimAgent) => {
      const r = await api('GET', '/v1/agent/config', undefined, a.cred, a.etag ? { 'if-none-match': a.etag } : {});
      if (r.status === 200) {
        a.etag = r.etag;
        return r.body.revision as number;
      }
      return undefined;
    };
    const report = (a: SimAgent, body: object) => new Promise<void>((resolve) => {
      const id = ++a.seq;
      a.waiting.set(id, resolve);
      a.ws!.send(JSON.stringify({ type: 'report', id, ...body }));
    });
    let onApplied: ((a: SimAgent) => void) | undefined;
    await limit(agents, 64, async (a) => {
      await new Promise<void>((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/agent/ws`, { headers: { authorization: `Bearer ${a.cred}` } });
        ws.once('open', () => resolve());
        ws.once('error', reject);
        ws.on('message', (d) => {
          const m = JSON.parse(String(d)) as { type: string; id?: number };
          if (m.type === 'ack' || m.type === 'error') { a.waiting.get(m.id!)?.(); a.waiting.delete(m.id!); }
          if (m.type === 'nudge') {
            void fetchConfig(a).then(async (rev) => {
              if (rev === undefined || a.appliedAt !== undefined) return;
              await report(a, { appliedRevision: rev, events: [{ seq: ++a.evSeq, kind: 'config.applied', agentTime: new Date().toISOString(), details: { revision: rev, version: `rev-${rev}` } }] });
              a.appliedAt = performance.now();
              onApplied?.(a);
            }).catch(() => { /* the control plane stopping at the end */ });
          }
        });
        a.ws = ws;
      });
      await fetchConfig(a);
    });
    await sleep(3000);
    const rss1 = rssMb(cp.pid!);
    const heap1 = await heapMb();
    process.stderr.write(`${N} agents connected; control plane RSS ${rss0.toFixed(0)} -> ${rss1.toFixed(0)} MB\n`);

    // A spec change on every cluster (new VIP): time until each agent of each cluster acked it.
    const changedAt = new Map<number, number>();
    const latencies: number[] = [];
    for (const a of agents) a.appliedAt = undefined;
    const done = new Promise<void>((resolve) => {
      onApplied = (a) => {
        latencies.push(a.appliedAt! - changedAt.get(a.clusterIdx)!);
        if (latencies.length === N) resolve();
      };
    });
    await limit(clusterIds.map((id, c) => ({ id, c })), 8, async ({ id, c }) => {
      const names = Array.from({ length: K }, (_, i) => `d${c}-${i}`);
      changedAt.set(c, performance.now());
      await must('PUT', `/v1/clusters/${id}/spec`, { spec: specFor(names, (c % 255) + 1, c + 10_000) });
    });
    await Promise.race([done, sleep(120_000)]);
    onApplied = undefined;
    const acked = latencies.length;

    // Sustained ingest: every agent reports batches of 10 events, as fast as acks come, 15 s.
    let events = 0;
    const ingestStart = performance.now();
    const until = ingestStart + 15_000;
    await Promise.all(agents.map(async (a) => {
      while (performance.now() < until) {
        const batch = Array.from({ length: 10 }, () => ({ seq: ++a.evSeq, kind: 'lb.real_server', agentTime: new Date().toISOString(), details: { up: true } }));
        await report(a, { events: batch });
        events += batch.length;
      }
    }));
    // Every acked event over the whole time it took (the last batches finish after the window).
    const ingestPerSec = events / ((performance.now() - ingestStart) / 1000);

    console.log(`fleet: ${N} simulated agents (${clusters} clusters × ${K}), WebSocket + ETag config, control plane process on Postgres (fsync off), 2 cores shared with the clients`);
    console.log('| measure | value |');
    console.log('|---|---|');
    console.log(`| spec change → agent ack, p50 | ${pct(latencies, 50).toFixed(0)} ms |`);
    console.log(`| spec change → agent ack, p99 | ${pct(latencies, 99).toFixed(0)} ms |`);
    console.log(`| spec change → agent ack, max | ${Math.max(...latencies).toFixed(0)} ms (${acked}/${N} acked) |`);
    console.log(`| sustained event ingest | ${ingestPerSec.toFixed(0)} events/s (stored once each) |`);
    console.log(`| control plane memory per connected agent | ${(((rss1 - rss0) * 1024) / N).toFixed(1)} KiB RSS (${rss0.toFixed(0)} → ${rss1.toFixed(0)} MB), ${(((heap1 - heap0) * 1024) / N).toFixed(1)} KiB heap (${heap0.toFixed(0)} → ${heap1.toFixed(0)} MB) |`);
  } finally {
    for (const a of agents) a.ws?.terminate();
    if (cp) await new Promise<void>((r) => { cp!.once('exit', () => r()); cp!.kill('SIGTERM'); });
    await pg.stop();
  }
}
