/**
 * `npm run bench -- fleet`: the control plane (real `vigil control-plane` processes on a real
 * Postgres) with N simulated agents speaking the real protocol: enrolled with an enrollment
 * token, each keeps the agent WebSocket with `?push=config` (the control plane pushes each
 * agent its config on connect and after every change, as the agent asks), and reports the
 * revision it applied (a `config.applied` event) over the socket; when the socket drops it
 * reconnects with exponential backoff and full jitter (as the agent does) and never gives up.
 *
 * Prints one table: spec change → every affected agent's ack (p50/p99/max) for one cluster
 * changed, and for every cluster changed at once by one site document; sustained event ingest
 * into the chained audit log (every event stored once, chain verified after); memory per
 * connected agent; the time for every agent to reconnect and be in sync after the control
 * plane restarts; spec read p50 at concurrency 1; the fleet view's latency; and the control
 * plane's event-loop delay p99 (its own /metrics) during each phase.
 *
 *   --agents=2000 --per-cluster=10 --replicas=1 --changes=one,all --durable (Postgres fsync on)
 *   --ingest-seconds=15 --ingest-rate=11000 (offered, the paced phase) --batch=10 (events per
 *   report) --all-repeats=3 --skip=ingest,restart
 *   --cold: every site-wide change starts from a shrunk heap (a memory-reducing GC in each control
 *   plane first: the state V8's memory reducer leaves a control plane in after a quiet spell,
 *   where the first burst promotes into a tight old generation and marks it during the change)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import WebSocket from 'ws';
import { startPostgres } from '../support/postgres-server.ts';
import { bucketQuantile, latenessBuckets, metricValue, pct, rssMb } from './capture.ts';

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
  cluster: number;
  cred: string;
  replica: number;
  ws?: WebSocket;
  etag?: string;
  revision?: number;
  frameId: number;
  seq: number;
  waiting: Map<number, (ok: boolean) => void>;
  appliedAt?: number;
  backoff: number;
  stopped: boolean;
  connectedAt?: number;
}

export async function run(args: string[]): Promise<void> {
  const opt = (n: string) => args.find((a) => a.startsWith(`--${n}=`))?.split('=')[1];
  const flag = (n: string) => args.includes(`--${n}`);
  const N = Number(opt('agents') ?? 2000);
  const K = Number(opt('per-cluster') ?? 10);
  const R = Number(opt('replicas') ?? 1);
  const changes = (opt('changes') ?? 'one,all').split(',');
  const skip = (opt('skip') ?? '').split(',');
  const durable = flag('durable');
  const ingestSeconds = Number(opt('ingest-seconds') ?? 15);
  const batchSize = Number(opt('batch') ?? 10);
  const allRepeats = Number(opt('all-repeats') ?? 3);
  const cold = flag('cold');
  const C = Math.ceil(N / K);
  const pg = await startPostgres({ durable });
  const stats = postgres(pg.url, { max: 1, onnotice: () => {} });
  /** Checkpoints and autovacuum/autoanalyze runs so far: what a phase shares the disk with. */
  const pgActivity = async () => {
    const [r] = await stats<{ checkpoints: string; vacuums: string }[]>`select (select checkpoints_timed + checkpoints_req from pg_stat_bgwriter)::bigint as checkpoints,
      (select coalesce(sum(autovacuum_count + autoanalyze_count), 0) from pg_stat_user_tables)::bigint as vacuums`;
    return { checkpoints: Number(r!.checkpoints), vacuums: Number(r!.vacuums) };
  };
  let lastActivity = { checkpoints: 0, vacuums: 0 };
  /** What Postgres did in the background since the last call, for the phase's row. */
  const background = async () => {
    const now = await pgActivity();
    const d = { checkpoints: now.checkpoints - lastActivity.checkpoints, vacuums: now.vacuums - lastActivity.vacuums };
    lastActivity = now;
    return `Postgres meanwhile: ${d.checkpoints} checkpoint(s), ${d.vacuums} autovacuum/analyze run(s)`;
  };
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-fleet-bench-'));
  const ports = Array.from({ length: R }, (_, i) => 18600 + Math.floor(Math.random() * 50) * 4 + i);
  const cps: (ChildProcess | undefined)[] = [];
  const agents: SimAgent[] = [];
  const rows: [string, string][] = [];
  const base = (r = 0) => `http://127.0.0.1:${ports[r]}`;
  const api = async (method: string, path: string, body?: unknown, token = TOKEN, headers: Record<string, string> = {}, replica = 0) => {
    const r = await fetch(`${base(replica)}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await r.text();
    return { status: r.status, etag: r.headers.get('etag') ?? undefined, body: text ? JSON.parse(text) : null };
  };
  const must = async (method: string, path: string, body?: unknown, token?: string) => {
    const r = await api(method, path, body, token);
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
    return r.body;
  };
  const metricsOf = async (replica: number) => (await fetch(`${base(replica)}/metrics`)).text();
  /**
   * Event-loop delay p99 (ms) since the last scrape, worst replica (the scrape resets it): the
   * lateness past a timer's due time (`vigil_cp_event_loop_delay_seconds`, the judged figure),
   * and prom-client's raw tick interval, which carries its 10 ms period (control-plane/src/loop-delay.ts).
   */
  let lastBuckets: [number, number][][] = [];
  const loopP99 = async () => {
    const texts = await Promise.all(ports.map((_, r) => metricsOf(r)));
    // Each replica's ticks since the last scrape, by lateness bucket (the cumulative histogram's
    // difference): what a phase of several windows adds up to judge its p99 over all its ticks.
    const buckets = texts.map((t) => latenessBuckets(t, 'vigil_cp_event_loop_lateness_seconds'));
    const ticks = buckets.map((b, r) => b.map(([le, n], i): [number, number] => [le, n - (lastBuckets[r]?.[i]?.[1] ?? 0)]));
    lastBuckets = buckets;
    return {
      delay: Math.max(...texts.map((t) => metricValue(t, 'vigil_cp_event_loop_delay_seconds{quantile="0.99"}') * 1000)),
      raw: Math.max(...texts.map((t) => metricValue(t, 'vigil_cp_nodejs_eventloop_lag_p99_seconds') * 1000)),
      ticks,
    };
  };
  /** Per replica, the ticks of several windows added up. */
  const addTicks = (into: [number, number][][], ticks: [number, number][][]) => ticks.forEach((b, r) => {
    into[r] = b.map(([le, n], i): [number, number] => [le, n + (into[r]?.[i]?.[1] ?? 0)]);
  });
  /** p99 over the ticks added up (worst replica), and how many of them were 50 ms late or more. */
  const fmtTicks = (per: [number, number][][]) => {
    const worst = Math.max(...per.map((b) => bucketQuantile(b, 0.99) * 1000));
    const late = per.map((b) => ({ n: b.at(-1)?.[1] ?? 0, over: (b.at(-1)?.[1] ?? 0) - (b.find(([le]) => Math.abs(le - 0.05) < 1e-9)?.[1] ?? 0) }));
    return `${worst.toFixed(1)} ms past due over all their ticks (${late.map((l, r) => `replica ${r + 1}: ${l.over} of ${l.n} ticks 50 ms late or more`).join('; ')})`;
  };
  const fmtLoop = (l: { delay: number; raw: number }) => `${l.delay.toFixed(1)} ms past due (tick interval p99 ${l.raw.toFixed(1)} ms)`;
  const limit = async <T>(items: T[], n: number, f: (x: T) => Promise<void>) => {
    let i = 0;
    await Promise.all(Array.from({ length: n }, async () => { while (i < items.length) await f(items[i++]!); }));
  };
  const startCp = async (r: number) => {
    const prof = process.env.VIGIL_BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.VIGIL_BENCH_CPU_PROF}`] : [];
    const logTo = process.env.VIGIL_BENCH_CP_LOG ? openSync(`${process.env.VIGIL_BENCH_CP_LOG}.${r}`, 'a') : 'ignore';
    // VIGIL_BENCH_CP_FLAGS: more node flags for the control planes (e.g. --trace-gc, with
    // VIGIL_BENCH_CP_LOG); VIGIL_BENCH_CP_ARGS: more control-plane arguments (e.g.
    // --checkpoint-interval 3600, to see what the audit checkpoints cost).
    const flags = (process.env.VIGIL_BENCH_CP_FLAGS ?? '').split(' ').filter(Boolean);
    // The inspector (loopback only) is how the memory figure asks for a full GC (collectGarbage).
    cps[r] = spawn(process.execPath, [...prof, ...flags, `--inspect=127.0.0.1:${ports[r]! + 1000}`, '--max-old-space-size=4096', VIGIL, 'control-plane', '--host', '127.0.0.1', '--port', String(ports[r]), '--database-url', pg.url, '--data-dir', dataDir, ...(process.env.VIGIL_BENCH_CP_ARGS ?? '').split(' ').filter(Boolean)], { stdio: ['ignore', logTo, 'inherit'], env: { ...process.env, VIGIL_BOOTSTRAP_TOKEN: TOKEN, LOG_LEVEL: process.env.VIGIL_BENCH_CP_LOG ? 'info' : 'warn' } });
    for (let i = 0; ; i++) {
      if ((await fetch(`${base(r)}/readyz`).then((x) => x.status, () => 0)) === 200) return;
      if (i > 600) throw new Error('control plane did not start');
      await sleep(100);
    }
  };
  /** One inspector method in control plane `r` (loopback only), its result. */
  const inspect = async (r: number, method: string, params: object = {}): Promise<unknown> => {
    const [target] = (await (await fetch(`http://127.0.0.1:${ports[r]! + 1000}/json/list`)).json()) as { webSocketDebuggerUrl: string }[];
    const ws = new WebSocket(target!.webSocketDebuggerUrl);
    try {
      return await new Promise<unknown>((resolve, reject) => {
        ws.once('error', reject);
        ws.once('open', () => ws.send(JSON.stringify({ id: 1, method, params })));
        ws.on('message', (d) => {
          const m = JSON.parse(String(d)) as { id?: number; result?: unknown };
          if (m.id === 1) resolve(m.result);
        });
      });
    } finally {
      ws.close();
    }
  };
  /** A full, compacting GC in control plane `r` (HeapProfiler.collectGarbage). */
  const collectGarbage = async (r: number) => { await inspect(r, 'HeapProfiler.collectGarbage'); };
  /** What control plane `r`'s objects hold (V8 heap used plus memory outside it: buffers), in MB. */
  const heldMb = async (r: number) => {
    const res = (await inspect(r, 'Runtime.evaluate', { expression: 'JSON.stringify(process.memoryUsage())', returnByValue: true })) as { result: { value: string } };
    const m = JSON.parse(res.result.value) as { heapUsed: number; external: number };
    return (m.heapUsed + m.external) / 2 ** 20;
  };
  const stopCp = async (r: number) => {
    const cp = cps[r];
    if (cp && cp.exitCode === null) await new Promise<void>((res) => { cp.once('exit', () => res()); cp.kill('SIGTERM'); setTimeout(() => cp.kill('SIGKILL'), 15_000).unref(); });
  };

  // --- the simulated agent (the real protocol) ---
  let onApplied: ((a: SimAgent) => void) | undefined;
  const report = (a: SimAgent, body: object) => new Promise<boolean>((resolve) => {
    if (!a.ws || a.ws.readyState !== WebSocket.OPEN) return resolve(false);
    const id = ++a.frameId;
    a.waiting.set(id, resolve);
    a.ws.send(JSON.stringify({ type: 'report', id, ...body }));
  });
  const stages = { nudge: [] as number[], config: [] as number[], ack: [] as number[] };
  let stageStart = 0;
  /** A config arrived (pushed on the socket, as the agent asks with ?push=config, or fetched). */
  const applyView = async (a: SimAgent, view: { revision: number; version: string }) => {
    a.etag = `"${view.version}"`;
    const rev = view.revision;
    if (rev === a.revision) return;
    a.revision = rev;
    if (stageStart) stages.config.push(performance.now() - stageStart);
    const ok = await report(a, { appliedRevision: rev, events: [{ seq: ++a.seq, kind: 'config.applied', agentTime: new Date().toISOString(), details: { revision: rev, version: view.version } }] });
    if (ok) {
      if (stageStart) stages.ack.push(performance.now() - stageStart);
      a.appliedAt = performance.now();
      onApplied?.(a);
    }
  };
  const connect = (a: SimAgent): Promise<void> => new Promise((resolve) => {
    a.connectedAt = undefined;
    const ws = new WebSocket(`ws://127.0.0.1:${ports[a.replica]}/v1/agent/ws?push=config`, { headers: { authorization: `Bearer ${a.cred}` } });
    let opened = false;
    ws.once('open', () => {
      opened = true;
      a.ws = ws;
      a.backoff = 500;
    });
    ws.on('message', (d) => {
      const m = JSON.parse(String(d)) as { type: string; id?: number; view?: { revision: number; version: string } };
      if (m.type === 'ack' || m.type === 'error') { a.waiting.get(m.id!)?.(m.type === 'ack'); a.waiting.delete(m.id!); }
      if (m.type === 'config') {
        if (stageStart) stages.nudge.push(performance.now() - stageStart);
        // Connected and in sync: the control plane pushed the current config on connect.
        if (a.connectedAt === undefined) { a.connectedAt = performance.now(); resolve(); }
        void applyView(a, m.view!);
      }
    });
    ws.on('error', () => {});
    ws.once('close', () => {
      if (a.ws === ws) a.ws = undefined;
      for (const [, w] of a.waiting) w(false);
      a.waiting.clear();
      if (!opened) resolve();
      if (a.stopped) return;
      // Exponential backoff with full jitter, capped, forever (as the agent's wsLoop does).
      const wait = Math.random() * a.backoff;
      a.backoff = Math.min(a.backoff * 2, 8000);
      setTimeout(() => { if (!a.stopped) void connect(a); }, wait);
    });
  });

  try {
    for (let r = 0; r < R; r++) await startCp(r);
    await must('POST', '/v1/sites', { name: 'fleet' });
    const clusterIds: string[] = [];
    const t0 = performance.now();
    await limit(Array.from({ length: C }, (_, c) => c), 8, async (c) => {
      const id = (await must('POST', '/v1/sites/fleet/clusters', { name: `c${c}`, segment: `seg${c}` })).id as string;
      clusterIds[c] = id;
      for (let i = 0; i < K && c * K + i < N; i++) await must('POST', `/v1/clusters/${id}/directors`, { name: `d${c}-${i}` });
    });
    const names = (c: number) => Array.from({ length: Math.min(K, N - c * K) }, (_, i) => `d${c}-${i}`);
    const siteDoc = (vip: (c: number) => number) => ({ clusters: Object.fromEntries(Array.from({ length: C }, (_, c) => [`c${c}`, { spec: specFor(names(c), (c % 250) + 1, vip(c)) }])) });
    await must('PUT', '/v1/sites/fleet/specs', siteDoc((c) => c));
    // One enrollment token takes at most 10,000 uses: one per 5,000 agents.
    const enrollTokens: string[] = [];
    for (let i = 0; i < N; i += 5000) enrollTokens.push((await must('POST', '/v1/sites/fleet/enrollment-tokens', { maxUses: 5000, expiresInSeconds: 3600 })).secret as string);
    const all = Array.from({ length: N }, (_, i) => ({ i, c: Math.floor(i / K), name: `d${Math.floor(i / K)}-${i % K}` }));
    await limit(all, 16, async ({ i, c, name }) => {
      const r = await must('POST', '/v1/agent/enroll', { cluster: `c${c}`, director: name }, enrollTokens[Math.floor(i / 5000)]);
      agents.push({ name, cluster: c, cred: r.credential, replica: agents.length % R, frameId: 0, seq: 0, waiting: new Map(), backoff: 500, stopped: false });
    });
    process.stderr.write(`set up ${C} clusters and enrolled ${N} agents in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    // RSS settles slowly after enrolment's garbage, so the cost of a connection is the slope
    // between half the agents connected and all of them (the least of five samples a second
    // apart each time), not the step from none.
    const settledMemory = async () => {
      // A full GC first: the control plane also collects every minute on its own (heap-gc.ts),
      // so without it the figure read when V8 last collected, not what the connections retain
      // (one run read -40 KiB per agent: the enrolment's garbage went between the two samples).
      await Promise.all(ports.map((_, r) => collectGarbage(r)));
      await sleep(1000);
      const least = ports.map(() => Infinity);
      for (let k = 0; k < 5; k++) {
        ports.forEach((_, r) => { least[r] = Math.min(least[r]!, rssMb(cps[r]!.pid!)); });
        await sleep(1000);
      }
      // What the live objects hold right after a full GC: RSS also counts the young generation's
      // pages (up to 32 MB, --min-semi-space-size=16), resident or not as the last scavenges
      // left them, so its slope moves by several KiB per agent between runs; this one does not.
      await Promise.all(ports.map((_, r) => collectGarbage(r)));
      const held = await Promise.all(ports.map((_, r) => heldMb(r)));
      return { rss: least, held };
    };
    const sum = (xs: number[]) => xs.reduce((x, y) => x + y, 0);
    const half = Math.floor(N / 2);
    await limit(agents.slice(0, half), 64, (a) => connect(a));
    await sleep(2000);
    const m0 = await settledMemory();
    await limit(agents.slice(half), 64, (a) => connect(a));
    await sleep(2000);
    const m1 = await settledMemory();
    const perAgentKiB = ((sum(m1.rss) - sum(m0.rss)) * 1024) / (N - half);
    const heldKiB = ((sum(m1.held) - sum(m0.held)) * 1024) / (N - half);
    rows.push(['agents connected', `${agents.filter((a) => a.ws).length}/${N} over ${R} replica(s)`]);
    rows.push(['control-plane memory per connected agent', `${perAgentKiB.toFixed(1)} KiB RSS, sampled after a full GC (${m0.rss.map((x) => x.toFixed(0)).join('+')} MB with ${half} agents → ${m1.rss.map((x) => x.toFixed(0)).join('+')} MB with ${N}); held by live objects (V8 heap used + external) ${heldKiB.toFixed(1)} KiB`]);

    const waitAcks = async (who: SimAgent[], change: () => Promise<void>) => {
      for (const a of who) a.appliedAt = undefined;
      const pending = new Set(who);
      const latencies: number[] = [];
      const byAgent: [SimAgent, number][] = [];
      let start = 0;
      const done = new Promise<void>((resolve) => {
        onApplied = (a) => {
          if (!pending.delete(a)) return;
          latencies.push(a.appliedAt! - start);
          byAgent.push([a, a.appliedAt! - start]);
          if (pending.size === 0) resolve();
        };
      });
      start = performance.now();
      await change();
      putMs.push(performance.now() - start);
      await Promise.race([done, sleep(60_000)]);
      onApplied = undefined;
      return { latencies, byAgent, missing: pending.size };
    };
    let vipGen = 1;
    const putMs: number[] = [];
    if (changes.includes('one')) {
      await loopP99();
      await background();
      const lat: number[] = [];
      for (let k = 0; k < 10; k++) {
        const c = (k * 7) % C;
        const gen = vipGen++;
        const r = await waitAcks(agents.filter((a) => a.cluster === c), () => must('PUT', `/v1/clusters/${clusterIds[c]}/spec`, { spec: specFor(names(c), (c % 250) + 1, 20_000 + gen * 300 + c) }));
        lat.push(...r.latencies);
      }
      rows.push(['one cluster changed → its agents ack, p50 / p99 / max', `${pct(lat, 50).toFixed(0)} / ${pct(lat, 99).toFixed(0)} / ${Math.max(...lat).toFixed(0)} ms (${lat.length} acks over 10 changes; the PUT itself p50 ${pct(putMs, 50).toFixed(0)} ms)`]);
      rows.push(['  event-loop delay p99 meanwhile', `${fmtLoop(await loopP99())}; ${await background()}`]);
    }
    if (changes.includes('all')) {
      // Three site-wide changes (a p99 over 3 × N acks, not one run's luck), each after the
      // fleet settled from the last.
      await loopP99();
      await background();
      const lat: number[] = [];
      const byReplica = ports.map(() => [] as number[]);
      const puts: number[] = [];
      let acked = 0;
      const loop = { delay: 0, raw: 0 };
      const ticks: [number, number][][] = [];
      for (let k = 0; k < allRepeats; k++) {
        const gen = vipGen++;
        if (cold) {
          await Promise.all(ports.map((_, r) => collectGarbage(r)));
          await sleep(1000);
        }
        // Each change's window is the change alone (the scrape resets the histogram): the idle
        // seconds between changes would otherwise dilute every change's p99 but the first's.
        await loopP99();
        stageStart = performance.now();
        const r = await waitAcks(agents, async () => { await must('PUT', '/v1/sites/fleet/specs', siteDoc((c) => 20_000 + gen * 300 + c)); });
        stageStart = 0;
        const l = await loopP99();
        loop.delay = Math.max(loop.delay, l.delay);
        loop.raw = Math.max(loop.raw, l.raw);
        addTicks(ticks, l.ticks);
        process.stderr.write(`site-wide change ${k + 1}/${allRepeats}: acks p99 ${pct(r.latencies, 99).toFixed(0)} ms, event-loop delay p99 ${fmtLoop(l)}; by the histogram ${fmtTicks(l.ticks)}\n`);
        lat.push(...r.latencies);
        r.byAgent.forEach(([a, ms]) => byReplica[a.replica]!.push(ms));
        acked += r.latencies.length;
        puts.push(putMs.at(-1)!);
        await sleep(2000);
      }
      process.stderr.write(`stages (p50/p99 ms from the PUT): config pushed ${pct(stages.nudge, 50).toFixed(0)}/${pct(stages.nudge, 99).toFixed(0)}, applied ${pct(stages.config, 50).toFixed(0)}/${pct(stages.config, 99).toFixed(0)}, acked ${pct(stages.ack, 50).toFixed(0)}/${pct(stages.ack, 99).toFixed(0)}\n`);
      rows.push([`all ${C} clusters changed by one site document (through replica 1${cold ? '; each change after a memory-reducing GC' : ''}) → every agent acks, p50 / p99 / max`, `${pct(lat, 50).toFixed(0)} / ${pct(lat, 99).toFixed(0)} / ${Math.max(...lat).toFixed(0)} ms (${acked}/${N * allRepeats} acked over ${allRepeats} changes; the PUT itself ${puts.map((x) => x.toFixed(0)).join(', ')} ms)`]);
      if (R > 1) rows.push(['  the same acks by the replica the agent is connected to, p99', byReplica.map((l, i) => `replica ${i + 1}: ${pct(l, 99).toFixed(0)} ms (${l.length} acks)`).join('; ')]);
      rows.push([`  event-loop delay p99 during the ${allRepeats} changes (worst replica)`, `${fmtTicks(ticks)}; ${await background()}`]);
      // A change lasts about a second: ~100 ticks, so its own p99 is about its worst tick or two.
      rows.push(['  the worst single change\'s own p99 (≈ its worst tick; worst replica)', fmtLoop(loop)]);
    }

    // API reads.
    await loopP99();
    const specReads: number[] = [];
    for (let i = 0; i < 200; i++) {
      const s = performance.now();
      await api('GET', `/v1/clusters/${clusterIds[i % C]}/spec`);
      specReads.push(performance.now() - s);
    }
    const fleetReads: number[] = [];
    for (let i = 0; i < 10; i++) {
      const s = performance.now();
      const r = await api('GET', '/v1/fleet');
      fleetReads.push(performance.now() - s);
      if (r.status !== 200) throw new Error(`fleet view: ${r.status}`);
    }
    rows.push(['spec read (GET /v1/clusters/{id}/spec), concurrency 1, p50 / p99', `${pct(specReads, 50).toFixed(2)} / ${pct(specReads, 99).toFixed(2)} ms`]);
    rows.push([`fleet view (GET /v1/fleet, ${N} directors), p50 / max`, `${pct(fleetReads, 50).toFixed(1)} / ${Math.max(...fleetReads).toFixed(1)} ms`]);

    const eventsOf = (a: SimAgent) => Array.from({ length: batchSize }, () => ({ seq: ++a.seq, kind: 'lb.realServer', agentTime: new Date().toISOString(), details: { virtualServer: 'TCP 10.0.0.1:80', realServer: '10.0.1.1:80', up: a.seq % 2 === 0, reason: 'check' } }));
    // Ingest at the target rate: `--ingest-rate` events/s offered by every agent in turn (each
    // its `--batch` events every N × batch / rate seconds, the agents spread evenly over that
    // interval), for `--ingest-seconds`. Stored per second, at steady state: the events whose
    // acks arrived from the window's third second to its end, over those seconds (a control
    // plane that falls behind acknowledges fewer than are offered, and an agent whose report is
    // not answered in time sends its next one late: both lower it). Every report sent in the
    // window is waited for: how many were acknowledged, and how long after the window the last.
    if (!skip.includes('ingest')) {
      await loopP99();
      await background();
      // 10 % over the issue's floor of 10,000 events/s: the stored rate is measured at steady
      // state, so a control plane that keeps up stores what is offered, and the figure shows the
      // floor met with room, not met at best exactly.
      const rate = Number(opt('ingest-rate') ?? 11_000);
      const every = ((N * batchSize) / rate) * 1000;
      let sent = 0;
      let stored = 0;
      let steady = 0;
      let lastAck = 0;
      const acks: number[] = [];
      const late: number[] = [];
      const start = performance.now();
      const until = start + ingestSeconds * 1000;
      const steadyFrom = start + Math.min(2000, (ingestSeconds * 1000) / 2);
      await Promise.all(agents.map(async (a, i) => {
        for (let next = start + (i / N) * every; next < until; next += every) {
          const wait = next - performance.now();
          if (wait > 0) await sleep(wait);
          late.push(Math.max(0, -wait));
          const t = performance.now();
          if (t >= until) break;
          const batch = eventsOf(a);
          sent += batch.length;
          if (await report(a, { events: batch })) {
            const now = performance.now();
            stored += batch.length;
            if (now >= steadyFrom && now < until) steady += batch.length;
            lastAck = Math.max(lastAck, now);
            acks.push(now - t);
          }
        }
      }));
      const loop = await loopP99();
      rows.push([`event ingest at ${rate} events/s offered (${N} agents, ${batchSize} events per report every ${(every / 1000).toFixed(1)} s; Postgres ${durable ? 'durable: fsync on' : 'fsync off'})`, `${(steady / ((until - steadyFrom) / 1000)).toFixed(0)} events/s stored at steady state (acks from ${((steadyFrom - start) / 1000).toFixed(0)} s to ${ingestSeconds} s); ${stored} of ${sent} sent acknowledged, the last ${((lastAck - until) / 1000).toFixed(2)} s after the window; report → ack p50 / p99 ${pct(acks, 50).toFixed(0)} / ${pct(acks, 99).toFixed(0)} ms; sends behind schedule p99 ${pct(late, 99).toFixed(0)} ms`]);
      rows.push(['  event-loop delay p99 meanwhile', `${fmtLoop(loop)}; ${await background()}`]);
    }
    // Sustained ingest at saturation: every agent reports `--batch` events at a time (an outbox
    // drained after a flap) as fast as its acks come.
    if (!skip.includes('ingest')) {
      await loopP99();
      await background();
      let events = 0;
      const ingestStart = performance.now();
      const until = ingestStart + ingestSeconds * 1000;
      await Promise.all(agents.map(async (a) => {
        while (performance.now() < until) {
          const batch = eventsOf(a);
          if (await report(a, { events: batch })) events += batch.length;
          else await sleep(100);
        }
      }));
      const seconds = (performance.now() - ingestStart) / 1000;
      const loop = await loopP99();
      const verify = await must('GET', '/v1/events/verify?full=true');
      rows.push([`sustained event ingest at saturation (every agent reports as fast as its acks come), ${batchSize} events per report (Postgres ${durable ? 'durable: fsync on' : 'fsync off'})`, `${(events / seconds).toFixed(0)} events/s, ${events} stored once each over ${seconds.toFixed(1)} s; chain ${verify.ok ? `verifies (${verify.checked} rows)` : 'DOES NOT verify'}`]);
      rows.push(['  event-loop delay p99 meanwhile', `${fmtLoop(loop)}; ${await background()}`]);
      // The log's size on disk per event (table, TOAST and indexes of every daily partition):
      // the figure the sizing in the README multiplies.
      const q = postgres(pg.url, { max: 1, onnotice: () => {} });
      try {
        const [size] = await q<{ bytes: string; rows: string; parts: string }[]>`select sum(pg_total_relation_size(c.oid))::bigint as bytes, (select count(*) from events)::bigint as rows, count(*)::bigint as parts
          from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'events'::regclass`;
        rows.push(['audit log on disk', `${(Number(size!.bytes) / Number(size!.rows)).toFixed(0)} bytes/event with its indexes (${(Number(size!.bytes) / 1048576).toFixed(0)} MiB for ${size!.rows} events in ${size!.parts} daily partitions)`]);
      } finally {
        await q.end();
      }
    }

    // Restart: every replica stops and starts; every agent reconnects (backoff + jitter) and syncs.
    if (!skip.includes('restart')) {
      const t1 = performance.now();
      for (let r = 0; r < R; r++) await stopCp(r);
      for (let r = 0; r < R; r++) await startCp(r);
      lastBuckets = []; // the restarted processes' histograms count from zero
      const up = performance.now();
      let inSync = 0;
      let shown = 0;
      for (;;) {
        inSync = agents.filter((a) => a.ws && a.connectedAt !== undefined).length;
        if (inSync === N || performance.now() - up > 120_000) break;
        if (performance.now() - shown > 2000) {
          shown = performance.now();
          process.stderr.write(`restart: +${((shown - up) / 1000).toFixed(1)} s: ${agents.filter((a) => a.ws).length} connected, ${inSync} in sync\n`);
        }
        await sleep(200);
      }
      rows.push(['control plane restart → every agent reconnected and in sync', `${((performance.now() - up) / 1000).toFixed(1)} s after it answered again (${((performance.now() - t1) / 1000).toFixed(1)} s from the stop), ${inSync}/${N} agents`]);
      // Every tick from the restarted process's start to the last agent in sync: the reconnect
      // storm (each agent authenticated, its session set up, its config rendered and pushed).
      const loop = await loopP99();
      rows.push(['  event-loop delay p99 meanwhile (from its start to every agent in sync)', `${fmtTicks(loop.ticks)}; ${fmtLoop(loop)}`]);
    }

    console.log(`\nfleet: ${N} simulated agents (${C} clusters × ${K}) on the real protocol, ${R} control-plane replica(s) on one Postgres (${durable ? 'fsync on' : 'fsync off'}), 2 cores shared with the clients`);
    console.log('| measure | value |');
    console.log('|---|---|');
    for (const [k, v] of rows) console.log(`| ${k} | ${v} |`);
  } finally {
    for (const a of agents) { a.stopped = true; a.ws?.terminate(); }
    for (let r = 0; r < R; r++) await stopCp(r);
    await stats.end();
    await pg.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
