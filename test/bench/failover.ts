/**
 * `npm run bench -- failover`: Vigil and keepalived side by side, same settings, same lab
 * (three network namespaces on a bridge), in one run:
 *
 *   crash failover    kill -9 of the master → the VIP appears on the backup (rtnetlink event
 *                     seen by `ip monitor address` in the backup's namespace)
 *   graceful handover SIGTERM of the master → VIP on the backup
 *   advert jitter     |gap between consecutive adverts − advert_int|, from kernel timestamps
 *                     of a capture on a third host (tcpdump -tt)
 *
 * at VRRPv2 advert_int 1 and VRRPv3 advert_int 0.1. Prints medians (p50/p99 for jitter) and the
 * ratio Vigil / keepalived (below 1 = Vigil faster). `--trials=N` (default 4; twice that at 0.1 s).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Director, type Impl, type InstanceConf } from '../support/director.ts';
import { createLab, type NetnsLab } from '../support/netns.ts';

interface Setting { name: string; instance: Omit<InstanceConf, 'priority'>; vip: string; intervalMs: number }
const SETTINGS: Setting[] = [
  { name: 'v2 advert_int 1', vip: '192.0.2.100', intervalMs: 1000, instance: { version: 2, vrid: 51, advertInt: 1, vips: ['192.0.2.100/24'], authPass: 'bench123' } },
  { name: 'v3 advert_int 0.1', vip: '192.0.2.101', intervalMs: 100, instance: { version: 3, vrid: 52, advertInt: 0.1, vips: ['192.0.2.101/24'] } },
];

const median = (xs: number[]) => pct(xs, 50);
function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves with the wall time (ms) at which `ip monitor address` in `ns` reports `vip` added. */
function watchVip(ns: string, vip: string): { seen: Promise<number>; stop: () => void; ready: Promise<void> } {
  const child: ChildProcess = spawn('ip', ['-n', ns, 'monitor', 'address'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const rl = createInterface({ input: child.stdout! });
  let resolve!: (t: number) => void;
  const seen = new Promise<number>((r) => (resolve = r));
  rl.on('line', (line) => {
    if (!line.startsWith('Deleted') && line.includes(` ${vip}/`)) resolve(performance.timeOrigin + performance.now());
  });
  return { seen, stop: () => child.kill(), ready: sleep(150).then(() => undefined) };
}

/** Adverts from one host seen on a third one, with kernel timestamps (tcpdump -tt). */
class Capture {
  readonly stamps: number[] = [];
  private waiters: Array<() => void> = [];
  private readonly child: ChildProcess;
  constructor(ns: string, src: string) {
    this.child = spawn('ip', ['netns', 'exec', ns, 'tcpdump', '-tt', '-n', '-l', '-i', 'eth0', `ip proto 112 and src ${src}`], { stdio: ['ignore', 'pipe', 'ignore'] });
    createInterface({ input: this.child.stdout! }).on('line', (l) => {
      const m = /^(\d+\.\d+) /.exec(l);
      if (!m) return;
      this.stamps.push(Number(m[1]) * 1000);
      const w = this.waiters;
      this.waiters = [];
      for (const f of w) f();
    });
  }
  next(): Promise<void> {
    return new Promise((r) => this.waiters.push(r));
  }
  stop(): void {
    this.child.kill();
  }
}

async function measureSwitch(A: Director, B: Director, s: Setting, how: 'crash' | 'term', cap: Capture): Promise<number> {
  const w = watchVip(B.host.ns, s.vip);
  await w.ready;
  // Right after an advert, so both implementations face the full Master_Down_Interval.
  await cap.next();
  const t0 = performance.timeOrigin + performance.now();
  if (how === 'crash') await A.crash();
  else A.signal('SIGTERM');
  const t1 = await Promise.race([w.seen, sleep(s.intervalMs * 6 + 5000).then(() => NaN)]);
  w.stop();
  return t1 - t0;
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
      const jit = await jitter(cap, s, s.intervalMs === 1000 ? 15 : 8);
      const crash: number[] = [];
      const term: number[] = [];
      const n = s.intervalMs === 1000 ? trials : trials * 2;
      for (let i = 0; i < n; i++) {
        crash.push(await measureSwitch(A, B, s, 'crash', cap));
        await restore(A, B, s);
        term.push(await measureSwitch(A, B, s, 'term', cap));
        await restore(A, B, s);
      }
      return { crash, term, jit };
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
    for (const s of SETTINGS) {
      const r: Record<Impl, Awaited<ReturnType<typeof benchImpl>>> = {} as never;
      for (const impl of ['keepalived', 'vigil'] as Impl[]) r[impl] = await benchImpl(lab, impl, s, trials);
      const row = (what: string, f: (x: typeof r.vigil) => number) => {
        const k = f(r.keepalived);
        const v = f(r.vigil);
        rows.push(`| ${s.name.padEnd(17)} | ${what.padEnd(28)} | ${k.toFixed(1).padStart(10)} | ${v.toFixed(1).padStart(10)} | ${(v / k).toFixed(2).padStart(6)} |`);
      };
      row('crash failover, median', (x) => median(x.crash));
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
