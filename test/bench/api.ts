/**
 * `npm run bench -- api`: the control plane over real HTTP on loopback, on a real PostgreSQL
 * (started here, or DATABASE_URL) and on the embedded PGlite for comparison.
 *
 *   spec read     GET /v1/clusters/{id}/spec through HTTP (auth, validation, JSON, logging)
 *   event insert  one audit-log append as a service call (hash-chained, one event per
 *                 transaction: what operator actions cost). Agents' reports take the group
 *                 commit instead, measured over HTTP and WebSocket by `npm run bench -- fleet`.
 *
 * Each case runs for a fixed time (default 3 s, `--seconds=N`) at concurrency 1 and 16 and
 * prints requests/s with p50/p99 latency.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../../control-plane/src/config.ts';
import { startControlPlane, type RunningControlPlane } from '../../control-plane/src/main.ts';
import { appendEvent } from '../../control-plane/src/services/events/append.ts';
import { exampleClusterSpecInput } from '../../schema/src/spec/example.ts';
import { startPostgres } from '../support/postgres-server.ts';

const TOKEN = 'vgl_bench-admin-token-0123456789abcdef';

interface Figures { ops: number; seconds: number; p50: number; p99: number }

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** Runs `op` from `concurrency` loops for `seconds`; returns throughput and latency (ms). */
async function measure(op: () => Promise<void>, concurrency: number, seconds: number): Promise<Figures> {
  const latencies: number[] = [];
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      const t = performance.now();
      await op();
      latencies.push(performance.now() - t);
    }
  }));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { ops: latencies.length, seconds: elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

async function seed(cp: RunningControlPlane): Promise<string> {
  const base = `http://127.0.0.1:${cp.port}/v1`;
  const call = async (method: string, path: string, body: unknown) => {
    const r = await fetch(base + path, { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
    return (await r.json()) as { id: string };
  };
  await call('POST', '/sites', { name: 'bench' });
  const cluster = await call('POST', '/sites/bench/clusters', { name: 'web' });
  for (const name of ['lb1', 'lb2']) await call('POST', `/clusters/${cluster.id}/directors`, { name });
  await call('PUT', `/clusters/${cluster.id}/spec`, { spec: exampleClusterSpecInput });
  return cluster.id;
}

async function benchOne(label: string, argv: string[], seconds: number): Promise<string[]> {
  const config = loadConfig(['--host', '127.0.0.1', '--port', '0', ...argv], { VIGIL_BOOTSTRAP_TOKEN: TOKEN, LOG_LEVEL: 'warn' });
  const cp = await startControlPlane({ ...config, logLevel: 'warn' });
  const rows: string[] = [];
  try {
    const clusterId = await seed(cp);
    const url = `http://127.0.0.1:${cp.port}/v1/clusters/${clusterId}/spec`;
    const read = async () => {
      const r = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
      if (r.status !== 200) throw new Error(`spec read ${r.status}`);
      await r.arrayBuffer();
    };
    const ctx = { db: cp.db.db, actor: { type: 'system' as const, name: 'bench' } };
    let seq = 0;
    const insert = async () => {
      await appendEvent(ctx, { kind: 'vrrp.transition', instance: 'VI_WEB', source: 'bench', sourceSeq: ++seq, details: { from: 'BACKUP', to: 'MASTER', reason: 'master_down_timer' } });
    };
    for (const [name, op] of [['spec read (HTTP GET)', read], ['event insert (service)', insert]] as const) {
      await measure(op, 4, 0.5); // warm-up: JIT, connection pool, plan cache
      for (const c of [1, 16]) {
        const f = await measure(op, c, seconds);
        rows.push(`| ${label.padEnd(9)} | ${name.padEnd(24)} | ${String(c).padStart(4)} | ${(f.ops / f.seconds).toFixed(0).padStart(8)} | ${f.p50.toFixed(2).padStart(8)} | ${f.p99.toFixed(2).padStart(8)} |`);
      }
    }
  } finally {
    await cp.stop();
  }
  return rows;
}

export async function run(args: string[]): Promise<void> {
  const seconds = Number(args.find((a) => a.startsWith('--seconds='))?.split('=')[1] ?? 3);
  const given = process.env.DATABASE_URL;
  const pg = given ? undefined : await startPostgres();
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-bench-pglite-'));
  const rows: string[] = [];
  try {
    rows.push(...(await benchOne('postgres', ['--database-url', given ?? pg!.url], seconds)));
    rows.push(...(await benchOne('pglite', ['--data-dir', dataDir], seconds)));
  } finally {
    await pg?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  console.log(`control plane API, ${seconds} s per case, loopback, ${given ? 'DATABASE_URL' : 'Postgres started by the bench'} (fsync off)`);
  console.log('event insert = one appendEvent service call per event (an operator action\'s audit entry); agents\' reports are group-committed: npm run bench -- fleet');
  console.log('| database  | operation                | conc |    req/s |  p50 ms |  p99 ms |');
  console.log('|-----------|--------------------------|------|----------|---------|---------|');
  for (const r of rows) console.log(r);
}
