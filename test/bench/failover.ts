/**
 * `npm run bench -- failover`: Vigil and keepalived side by side, same settings, same lab
 * (three network namespaces on a bridge), in one run:
 *
 *   crash failover    kill -9 of the master → the VIP appears on the backup (rtnetlink event,
 *                     timestamped on receipt by `ip -ts monitor address` in the backup's namespace)
 *   graceful handover SIGTERM of the master → VIP on the backup
 *
 *                     The signal goes out at a fixed phase after one of the master's adverts (its
 *                     kernel timestamp on the capture host + 10 % of advert_int), so both
 *                     implementations face the same remaining Master_Down_Interval and the
 *                     figure compares their detection, not where in the advert cycle the kill
 *                     happened to land. The next adverts are predicted from the capture's kernel
 *                     timestamps (they are periodic), since tcpdump's output lags the wire.
 *   last advert → VIP the same crash measured from the master's last advert on the wire: the
 *                     Master_Down_Interval plus the backup's detection and takeover latency,
 *                     independent of when the kill landed
 *   advert jitter     |gap between consecutive adverts − advert_int|, from kernel timestamps
 *                     of a capture on a third host (tcpdump -tt)
 *
 * at VRRPv2 advert_int 1 and VRRPv3 advert_int 0.1. Prints medians (p50/p99 for jitter) and the
 * ratio Vigil / keepalived (below 1 = Vigil faster). `--trials=N` (default 4; twice that at 0.1 s),
 * `--setting=v2|v3` to run one setting; VIGIL_BENCH_DEBUG=1 prints every trial.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Director, type Impl, type InstanceConf } from '../support/director.ts';
import { createLab, type NetnsLab } from '../support/netns.ts';
import { Capture, median, pct } from './capture.ts';

interface Setting { name: string; instance: Omit<InstanceConf, 'priority'>; vip: string; intervalMs: number }
const SETTINGS: Setting[] = [
  { name: 'v2 advert_int 1', vip: '192.0.2.100', intervalMs: 1000, instance: { version: 2, vrid: 51, advertInt: 1, vips: ['192.0.2.100/24'], authPass: 'bench123' } },
  { name: 'v3 advert_int 0.1', vip: '192.0.2.101', intervalMs: 100, instance: { version: 3, vrid: 52, advertInt: 0.1, vips: ['192.0.2.101/24'] } },
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves with the wall time (ms) at which `ip -ts monitor address` in `ns` reports `vip` added. */
function watchVip(ns: string, vip: string): { seen: Promise<number>; stop: () => void; ready: Promise<void> } {
  const child: ChildProcess = spawn('ip', ['-ts', '-n', ns, 'monitor', 'address'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const rl = createInterface({ input: child.stdout! });
  let resolve!: (t: number) => void;
  const seen = new Promise<number>((r) => (resolve = r));
  rl.on('line', (line) => {
    // "[2026-11-29T12:42:35.520729] 2: eth0    inet 192.0.2.100/24 ..." (local time, µs)
    const m = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)\] (.*)$/.exec(line);
    if (!m || m[3]!.startsWith('Deleted') || !m[3]!.includes(` ${vip}/`)) return;
    resolve(new Date(m[1]!).getTime() + Number(m[2]) * 1000);
  });
  return { seen, stop: () => child.kill(), ready: sleep(150).then(() => undefined) };
}

const wallNow = () => performance.timeOrigin + performance.now();
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Waits until wall time `t` (ms): a timer for the bulk, a futex wait for the last stretch. */
async function until(t: number): Promise<void> {
  const bulk = t - wallNow() - 3;
  if (bulk > 0) await sleep(bulk);
  const rest = t - wallNow();
  if (rest > 0) Atomics.wait(sleeper, 0, 0, rest);
}

async function measureSwitch(A: Director, B: Director, s: Setting, how: 'crash' | 'term', cap: Capture): Promise<{ afterSignal: number; afterLastAdvert: number }> {
  const w = watchVip(B.host.ns, s.vip);
  await w.ready;
  // At a fixed phase after an advert, so both implementations face the same remaining
  // Master_Down_Interval. tcpdump's line reaches us up to tens of ms after the packet, so the
  // phase comes from the capture's kernel timestamps: adverts are periodic, the next ones are at
  // last + k * advert_int; the signal goes 10 % of an interval after the first that is still
  // comfortably ahead.
  await cap.next();
  let at = cap.stamps.at(-1)! + s.intervalMs * 0.1;
  while (at < wallNow() + Math.min(20, s.intervalMs * 0.2)) at += s.intervalMs;
  await until(at);
  const t0 = wallNow();
  if (how === 'crash') await A.crash();
  else A.signal('SIGTERM');
  const t1 = await Promise.race([w.seen, sleep(s.intervalMs * 6 + 5000).then(() => NaN)]);
  w.stop();
  const lastAdvert = cap.stamps.filter((t) => t <= t1).at(-1) ?? NaN;
  const lastBeforeKill = cap.stamps.filter((t) => t <= t0).at(-1) ?? NaN;
  if (process.env.VIGIL_BENCH_DEBUG) process.stderr.write(`${how}: signal ${(t0 - lastBeforeKill).toFixed(1)} ms after an advert; VIP ${(t1 - t0).toFixed(1)} ms after the signal, ${(t1 - lastAdvert).toFixed(1)} ms after the last advert seen\n`);
  return { afterSignal: t1 - t0, afterLastAdvert: t1 - lastAdvert };
}

/** Restarts A and waits until it is master again and B has let go. */
async function restore(A: Director, B: Director, s: Setting): Promise<void> {
  await A.stop();
  A.start();
  await B.waitForVip(s.vip, false, s.intervalMs * 6 + 8000);
  await A.waitForVip(s.vip, true, 2000);
  await sleep(s.intervalMs * 2);
}

async function jitter(cap: Capture, s: Setting, seconds: number): Promise<number[]> {
  const from = cap.stamps.length;
  await sleep(seconds * 1000);
  const stamps = cap.stamps.slice(from);
  return stamps.slice(1).map((t, i) => Math.abs(t - stamps[i]! - s.intervalMs));
}

async function benchImpl(lab: NetnsLab, impl: Impl, s: Setting, trials: number) {
  const A = new Director(lab, lab.hosts[0]!, impl, { routerId: 'lbA', instances: [{ ...s.instance, priority: 150 }] });
  const B = new Director(lab, lab.hosts[1]!, impl, { routerId: 'lbB', instances: [{ ...s.instance, priority: 100 }] });
  try {
    B.start();
    await B.waitForVip(s.vip, true, s.intervalMs * 6 + 8000);
    A.start();
    await B.waitForVip(s.vip, false, s.intervalMs * 6 + 8000);
    await A.waitForVip(s.vip, true, 2000);
    const cap = new Capture(lab.hosts[2]!.ns, A.host.ipv4);
    try {
      await sleep(300);
      const jit = await jitter(cap, s, s.intervalMs === 1000 ? 40 : 30);
      const crash: number[] = [];
      const crashSinceAdvert: number[] = [];
      const term: number[] = [];
      const n = s.intervalMs === 1000 ? trials : trials * 2;
      for (let i = 0; i < n; i++) {
        const c = await measureSwitch(A, B, s, 'crash', cap);
        crash.push(c.afterSignal);
        crashSinceAdvert.push(c.afterLastAdvert);
        await restore(A, B, s);
        term.push((await measureSwitch(A, B, s, 'term', cap)).afterSignal);
        await restore(A, B, s);
      }
      return { crash, crashSinceAdvert, term, jit };
    } finally {
      cap.stop();
    }
  } finally {
    await A.destroy();
    await B.destroy();
  }
}

export async function run(args: string[]): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench failover needs root (network namespaces)');
  const trials = Number(args.find((a) => a.startsWith('--trials='))?.split('=')[1] ?? 4);
  const lab = await createLab({ hosts: 3 });
  const rows: string[] = [];
  try {
    const only = args.find((a) => a.startsWith('--setting='))?.split('=')[1];
    for (const s of SETTINGS.filter((x) => !only || x.name.startsWith(only))) {
      const r: Record<Impl, Awaited<ReturnType<typeof benchImpl>>> = {} as never;
      for (const impl of ['keepalived', 'vigil'] as Impl[]) r[impl] = await benchImpl(lab, impl, s, trials);
      const row = (what: string, f: (x: typeof r.vigil) => number) => {
        const k = f(r.keepalived);
        const v = f(r.vigil);
        rows.push(`| ${s.name.padEnd(17)} | ${what.padEnd(28)} | ${k.toFixed(1).padStart(10)} | ${v.toFixed(1).padStart(10)} | ${(v / k).toFixed(2).padStart(6)} |`);
      };
      row('crash failover, median', (x) => median(x.crash));
      row('crash: last advert → VIP', (x) => median(x.crashSinceAdvert));
      row('graceful handover, median', (x) => median(x.term));
      row('advert jitter p50', (x) => pct(x.jit, 50));
      row('advert jitter p99', (x) => pct(x.jit, 99));
      process.stderr.write(`${s.name}: raw crash ms keepalived ${r.keepalived.crash.map((x) => x.toFixed(0)).join(',')} vigil ${r.vigil.crash.map((x) => x.toFixed(0)).join(',')}; graceful keepalived ${r.keepalived.term.map((x) => x.toFixed(0)).join(',')} vigil ${r.vigil.term.map((x) => x.toFixed(0)).join(',')}; jitter samples ${r.keepalived.jit.length}/${r.vigil.jit.length}\n`);
    }
  } finally {
    await lab.destroy();
  }
  console.log('failover: Vigil vs keepalived 2.2.7, same keepalived.conf, namespaces on one bridge (ms)');
  console.log('| setting           | measure                      | keepalived |      vigil | ratio |');
  console.log('|-------------------|------------------------------|------------|------------|-------|');
  for (const r of rows) console.log(r);
}
