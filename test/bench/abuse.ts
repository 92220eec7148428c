/**
 * `npm run bench -- abuse`: the control plane (a real `vigil control-plane` process) while one
 * agent sends 10,000 events as fast as the server lets it (ten 1,000-event reports pipelined on
 * its WebSocket, plus the same again over HTTP retrying on 429) and 500 clients long-poll their
 * config; meanwhile /healthz is probed every 20 ms (from a process of its own, so the load
 * generator's own work never counts as the server's latency). Run on real Postgres and on the embedded
 * database (PGlite on its worker thread).
 *
 * Prints per driver: /healthz p50/p99/max, the control plane's own event-loop delay p99 and max
 * over the window (its /metrics: `vigil_cp_event_loop_delay_seconds`, how late a timer ran, with
 * prom-client's raw tick interval beside it; both reset by each scrape), events
 * stored, time to store them, 429s answered. Target: /healthz p99 and event-loop p99 < 100 ms.
 * `--events=N`, `--polls=N`, `--driver=postgres|pglite`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startPostgres } from '../support/postgres-server.ts';
import { metricValue, pct } from './capture.ts';

const VIGIL = join(import.meta.dirname, '../../agent/bin/vigil.mjs');
const TOKEN = 'vgl_abuse-bench-bootstrap-token-0123456789abcdef';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Row { driver: string; healthP50: number; healthP99: number; healthMax: number; loopP99: number; loopMax: number; loopRawP99: number; stored: number; storeSeconds: number; busy429: number; polls: number }

const specFor = (names: string[], vrid: number) => ({
  version: 1,
  directors: Object.fromEntries(names.map((n) => [n, {}])),
  vrrpInstances: { VI_1: { interface: 'eth0', virtualRouterId: vrid, version: 3, advertIntervalMs: 1000, virtualIpAddresses: [`10.9.${vrid}.1/24`], directors: Object.fromEntries(names.map((n, i) => [n, { priority: 200 - i }])) } },
});

async function one(driver: 'postgres' | 'pglite', events: number, polls: number): Promise<Row> {
  const pg = driver === 'postgres' ? await startPostgres() : undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-abuse-'));
  const port = 18800 + Math.floor(Math.random() * 90);
  const base = `http://127.0.0.1:${port}`;
  let cp: ChildProcess | undefined;
  const api = async (method: string, path: string, body?: unknown, token = TOKEN, headers: Record<string, string> = {}) => {
    const r = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await r.text();
    return { status: r.status, etag: r.headers.get('etag') ?? undefined, body: text ? JSON.parse(text) : null, retryAfter: r.headers.get('retry-after') };
  };
  const must = async (method: string, path: string, body?: unknown, token?: string) => {
    const r = await api(method, path, body, token);
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
    return r.body;
  };
  const loopDelay = async () => {
    // The lateness past a timer's due time (the judged figure), and prom-client's raw tick
    // interval, which carries its 10 ms period (control-plane/src/loop-delay.ts).
    const text = await (await fetch(`${base}/metrics`)).text();
    const ms = (name: string) => metricValue(text, name) * 1000;
    return { p99: ms('vigil_cp_event_loop_delay_seconds{quantile="0.99"}'), max: ms('vigil_cp_event_loop_delay_seconds{quantile="1"}'), rawP99: ms('vigil_cp_nodejs_eventloop_lag_p99_seconds') };
  };
  try {
    const args = [VIGIL, 'control-plane', '--host', '127.0.0.1', '--port', String(port), '--data-dir', dataDir, ...(pg ? ['--database-url', pg.url] : [])];
    const prof = process.env.VIGIL_BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.VIGIL_BENCH_CPU_PROF}`] : [];
    cp = spawn(process.execPath, [...prof, ...args], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, VIGIL_BOOTSTRAP_TOKEN: TOKEN, LOG_LEVEL: 'warn' } });
    for (let i = 0; ; i++) {
      if ((await api('GET', '/readyz').catch(() => ({ status: 0 }))).status === 200) break;
      if (i > 600) throw new Error('control plane did not start');
      await sleep(100);
    }
    // 50 clusters of 10 directors: the 500 long-pollers; cluster 0's first director is the attacker.
    await must('POST', '/v1/sites', { name: 'abuse' });
    const enroll = (await must('POST', '/v1/sites/abuse/enrollment-tokens', { maxUses: polls + 10, expiresInSeconds: 3600 })).secret as string;
    const creds: string[] = [];
    for (let c = 0; c < Math.ceil(polls / 10); c++) {
      const id = (await must('POST', '/v1/sites/abuse/clusters', { name: `c${c}` })).id as string;
      const names = Array.from({ length: 10 }, (_, i) => `d${c}-${i}`);
      for (const n of names) await must('POST', `/v1/clusters/${id}/directors`, { name: n });
      await must('PUT', `/v1/clusters/${id}/spec`, { spec: specFor(names, (c % 250) + 1) });
      for (const n of names) creds.push((await must('POST', '/v1/agent/enroll', { cluster: `c${c}`, director: n }, enroll)).credential);
    }
    const attacker = creds[0]!;
    const etags = await Promise.all(creds.map(async (cr) => (await api('GET', '/v1/agent/config', undefined, cr)).etag!));
    await loopDelay(); // resets the server's event-loop histogram: the window starts now

    // The probe: its own process, so that the load generator's work (serialising 10 MB of
    // reports, 500 sockets) never delays a probe and counts as the server's latency.
    const probe = startProbe(`${base}/healthz`);
    await probe.ready;

    // 500 long-polls arriving at once, re-issued as they return (each waits up to 25 s).
    const ctls = creds.slice(0, polls).map(() => new AbortController());
    let pollCount = 0;
    const pollers = creds.slice(0, polls).map(async (cr, i) => {
      while (!ctls[i]!.signal.aborted) {
        await fetch(`${base}/v1/agent/config?wait=25`, { headers: { authorization: `Bearer ${cr}`, 'if-none-match': etags[i]! }, signal: ctls[i]!.signal }).then((r) => r.text()).catch(() => undefined);
        pollCount++;
      }
    });

    // The attacker: half over its WebSocket (all frames at once), half over HTTP as fast as 429 allows.
    const t0 = performance.now();
    const perReport = 1000;
    const reports = Math.ceil(events / perReport);
    const ev = (seq: number) => ({ seq, kind: 'vrrp.transition', instance: 'VI_1', agentTime: new Date().toISOString(), details: { from: seq % 2 ? 'backup' : 'master', to: seq % 2 ? 'master' : 'backup', reason: 'master_down_timer', priority: 200 } });
    let stored = 0;
    let busy = 0;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/agent/ws`, { headers: { authorization: `Bearer ${attacker}` } });
    await new Promise<void>((r, j) => { ws.once('open', () => r()); ws.once('error', j); });
    const wsReports = Math.floor(reports / 2);
    const acked = new Promise<void>((resolve) => {
      let n = 0;
      ws.on('message', (d) => {
        const m = JSON.parse(String(d)) as { type: string; stored?: number };
        if (m.type === 'ack') { stored += m.stored ?? 0; if (++n === wsReports) resolve(); }
      });
    });
    for (let k = 0; k < wsReports; k++) ws.send(JSON.stringify({ type: 'report', id: k, events: Array.from({ length: perReport }, (_, i) => ev(k * perReport + i + 1)) }));
    const http = (async () => {
      for (let k = wsReports; k < reports; k++) {
        const body = { events: Array.from({ length: perReport }, (_, i) => ev(k * perReport + i + 1)) };
        for (;;) {
          const r = await api('POST', '/v1/agent/reports', body, attacker);
          if (r.status === 200) { stored += r.body.stored as number; break; }
          if (r.status === 429) { busy++; await sleep(Number(r.retryAfter ?? 1) * 50); continue; }
          throw new Error(`report: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
        }
      }
    })();
    await Promise.all([acked, http]);
    const storeSeconds = (performance.now() - t0) / 1000;
    await sleep(500);
    const loop = await loopDelay();
    const health = await probe.stop();
    for (const c of ctls) c.abort();
    await Promise.all(pollers);
    ws.close();
    const verify = await must('GET', '/v1/events/verify');
    if (!verify.ok) throw new Error(`chain does not verify: ${JSON.stringify(verify)}`);
    return { driver, healthP50: pct(health, 50), healthP99: pct(health, 99), healthMax: Math.max(...health), loopP99: loop.p99, loopMax: loop.max, loopRawP99: loop.rawP99, stored, storeSeconds, busy429: busy, polls: pollCount };
  } finally {
    if (cp && cp.exitCode === null) await new Promise<void>((r) => { cp!.once('exit', () => r()); cp!.kill('SIGTERM'); setTimeout(() => cp!.kill('SIGKILL'), 10_000).unref(); });
    await pg?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** A /healthz prober in a child process: one request every 20 ms; its latencies when stopped. */
function startProbe(url: string): { ready: Promise<void>; stop(): Promise<number[]> } {
  const script = `
    const lat = [];
    let on = true;
    process.stdin.on('data', () => { on = false; });
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
    await fetch(${JSON.stringify(url)}).then((r) => r.text()); // the connection, outside the window
    process.stdout.write('ready\\n');
    while (on) {
      const t0 = performance.now();
      await fetch(${JSON.stringify(url)}).then((r) => r.text()).catch(() => undefined);
      lat.push(performance.now() - t0);
      await sleep(20);
    }
    process.stdout.write(JSON.stringify(lat) + '\\n');
    process.exit(0);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  const lines: Array<(l: string) => void> = [];
  child.stdout!.on('data', (d: Buffer) => {
    out += String(d);
    let i;
    while ((i = out.indexOf('\n')) >= 0) { const l = out.slice(0, i); out = out.slice(i + 1); lines.shift()?.(l); }
  });
  const line = () => new Promise<string>((r) => lines.push(r));
  const ready = line().then(() => undefined);
  return {
    ready,
    stop: async () => {
      const last = line();
      child.stdin!.write('stop\n');
      return JSON.parse(await last) as number[];
    },
  };
}

export async function run(args: string[]): Promise<void> {
  const opt = (n: string) => args.find((a) => a.startsWith(`--${n}=`))?.split('=')[1];
  const events = Number(opt('events') ?? 10_000);
  const polls = Number(opt('polls') ?? 500);
  const drivers = (opt('driver')?.split(',') ?? ['postgres', 'pglite']) as ('postgres' | 'pglite')[];
  const rows: Row[] = [];
  for (const d of drivers) rows.push(await one(d, events, polls));
  const f = (x: number) => x.toFixed(1).padStart(8);
  console.log(`\n${events} events from one agent (WebSocket pipelined + HTTP with 429 backoff) while ${polls} clients long-poll; /healthz probed every 20 ms`);
  console.log('| driver   | healthz p50 ms | healthz p99 ms | healthz max ms | event-loop delay p99 ms (tick interval p99) | event-loop delay max ms | events stored | seconds | 429s | long-polls answered |');
  console.log('|----------|----------------|----------------|----------------|---------------------------------------------|-------------------------|---------------|---------|------|---------------------|');
  for (const r of rows) console.log(`| ${r.driver.padEnd(8)} | ${f(r.healthP50)}       | ${f(r.healthP99)}       | ${f(r.healthMax)}       | ${f(r.loopP99)} (${r.loopRawP99.toFixed(1)})                      | ${f(r.loopMax)}                | ${String(r.stored).padStart(13)} | ${r.storeSeconds.toFixed(1).padStart(7)} | ${String(r.busy429).padStart(4)} | ${String(r.polls).padStart(19)} |`);
  const worst = Math.max(...rows.map((r) => Math.max(r.healthP99, r.loopP99)));
  console.log(`target: p99 < 100 ms on both drivers: ${worst < 100 ? 'met' : 'NOT met'} (worst ${worst.toFixed(1)} ms)`);
}
