/**
 * `npm run bench -- checks`: one Vigil agent checking 1,000 and 10,000 real servers, TCP_CHECK
 * and HTTP_GET, against loopback targets it starts itself (one TCP and one HTTP listener that
 * answer for every 127.1.x.y address), while it is VRRP master at advert_int 0.1.
 *
 * Per run: checks per second (the engine's attempt counter over a window), agent CPU (user +
 * system, all threads, from /proc) and RSS, the time to detect a real server that starts
 * refusing connections, and the VRRP advert jitter p50/p99 seen on another host — beside the same
 * jitter with no checks at all.
 *
 * The agent is the real `vigil agent` from a keepalived.conf: 100 real servers per
 * virtual_server, on the nftables data plane (this kernel has no IPVS). keepalived has no
 * counterpart here: its checker process needs IPVS to start. `--sizes=1000,10000`,
 * `--types=TCP_CHECK,HTTP_GET`, `--window=10` (seconds), `--delay-loop=N` (default 1 s for
 * 1,000 real servers, 5 s for 10,000).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { requestControl } from '../../agent/src/runtime/control.ts';
import { Director, type DirectorConf } from '../support/director.ts';
import { createLab, type NetnsLab } from '../support/netns.ts';
import { Capture, pct, rssMb } from './capture.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PER_VS = 100;
const TICKS_PER_S = 100; // USER_HZ

const TARGETS = `
const net = require('node:net'), http = require('node:http');
net.createServer((c) => { c.on('error', () => {}); c.end(); }).listen(8080, '0.0.0.0', () => {
  http.createServer((req, res) => { res.setHeader('connection', 'close'); res.end('ok'); }).listen(8081, '0.0.0.0', () => console.log('ready'));
});
process.stdin.on('end', () => process.exit(0)); process.stdin.resume();
`;

const rsAddress = (i: number) => `127.1.${i >> 8}.${i & 255}`;

function conf(n: number, type: 'TCP_CHECK' | 'HTTP_GET' | 'none', delayLoop: number): DirectorConf {
  const raw: string[] = [];
  if (type !== 'none') {
    for (let v = 0; v < n / PER_VS; v++) {
      raw.push(`virtual_server 10.200.${v >> 8}.${v & 255} 80 {`, `  delay_loop ${delayLoop}`, '  lvs_sched wrr', '  lvs_method NAT', '  protocol TCP');
      for (let r = 0; r < PER_VS; r++) {
        const i = v * PER_VS + r;
        const port = type === 'TCP_CHECK' ? 8080 : 8081;
        raw.push(`  real_server ${rsAddress(i)} ${port} {`, '    weight 1');
        if (type === 'TCP_CHECK') raw.push('    TCP_CHECK {', '      connect_timeout 2', '    }');
        else raw.push('    HTTP_GET {', '      url {', '        path /', '        status_code 200', '      }', '      connect_timeout 2', '    }');
        raw.push('  }');
      }
      raw.push('}');
    }
  }
  return { routerId: 'bench', agentArgs: ['--lb-backend', 'nftables'], instances: [{ name: 'VI_1', version: 3, vrid: 90, advertInt: 0.1, priority: 150, vips: ['192.0.2.90/24'] }], raw };
}

function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(f[11]) + Number(f[12]); // utime, stime (fields 14, 15)
}
interface LbStatusJson {
  loadBalancer?: { checks: { attempts: number; failures: number; checkers: number }; realServers: Array<{ address: string; up: boolean }> };
}

async function status(d: Director): Promise<LbStatusJson> {
  return (await requestControl(join(d.dir, 'state', 'vigil.sock'), 'status', 20_000)) as LbStatusJson;
}

interface Row { label: string; checksPerSec: number; cpuPct: number; rssMb: number; detectMs: number; jitterP50: number; jitterP99: number; falseDown: number }

async function runOne(lab: NetnsLab, n: number, type: 'TCP_CHECK' | 'HTTP_GET' | 'none', delayLoop: number, windowS: number): Promise<Row> {
  const d = new Director(lab, lab.hosts[0]!, 'vigil', conf(n, type, delayLoop));
  const cap = new Capture(lab.hosts[1]!.ns, lab.hosts[0]!.ipv4);
  try {
    d.start();
    await d.waitForVip('192.0.2.90', true, 60_000);
    const pid = d.pid!;
    // Until every checker has had its first (randomly spread) attempt.
    if (type !== 'none') {
      const t0 = Date.now();
      for (;;) {
        const s = await status(d).catch(() => undefined);
        if (s?.loadBalancer && s.loadBalancer.checks.attempts >= s.loadBalancer.checks.checkers) break;
        if (Date.now() - t0 > 120_000) throw new Error(`checks did not start: ${d.logs().slice(-2000)}`);
        await sleep(500);
      }
    } else await sleep(1000);
    const s0 = type !== 'none' ? (await status(d)).loadBalancer! : undefined;
    const c0 = cpuTicks(pid);
    const from = cap.stamps.length;
    const w0 = performance.now();
    await sleep(windowS * 1000);
    const secs = (performance.now() - w0) / 1000;
    const c1 = cpuTicks(pid);
    const jit = cap.jitter(from, 100);
    const s1 = type !== 'none' ? (await status(d)).loadBalancer! : undefined;
    const row: Row = {
      label: type === 'none' ? 'checks off (VRRP only)' : `${n} × ${type}, delay_loop ${delayLoop} s`,
      checksPerSec: s0 && s1 ? (s1.checks.attempts - s0.checks.attempts) / secs : 0,
      cpuPct: ((c1 - c0) / TICKS_PER_S / secs) * 100,
      rssMb: rssMb(pid),
      detectMs: NaN,
      jitterP50: pct(jit, 50),
      jitterP99: pct(jit, 99),
      falseDown: s1 ? s1.realServers.filter((r) => !r.up).length : 0,
    };
    if (type !== 'none') {
      // One real server starts refusing connections (a TCP reset from the kernel).
      const victim = rsAddress(7);
      const t = performance.now();
      const r = await lab.exec(lab.hosts[0]!.ns, 'nft', ['add table inet vg_bench_fail; add chain inet vg_bench_fail in { type filter hook input priority filter; policy accept; }; add rule inet vg_bench_fail in ip daddr ' + victim + ' tcp dport { 8080, 8081 } reject with tcp reset']);
      if (r.code !== 0) throw new Error(`nft: ${r.stderr}`);
      for (;;) {
        const st = await status(d);
        if (st.loadBalancer!.realServers[7]!.up === false) break;
        if (performance.now() - t > 60_000) throw new Error('failure not detected within 60 s');
        await sleep(100);
      }
      row.detectMs = performance.now() - t;
      await lab.exec(lab.hosts[0]!.ns, 'nft', ['delete', 'table', 'inet', 'vg_bench_fail']);
    }
    return row;
  } finally {
    cap.stop();
    await d.destroy();
  }
}

export async function run(args: string[]): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench checks needs root (network namespaces, nftables)');
  const opt = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const sizes = (opt('sizes') ?? '1000,10000').split(',').map(Number);
  const types = (opt('types') ?? 'TCP_CHECK,HTTP_GET').split(',') as Array<'TCP_CHECK' | 'HTTP_GET'>;
  const windowS = Number(opt('window') ?? 10);
  const lab = await createLab({ hosts: 2 });
  let targets: ChildProcess | undefined;
  const rows: Row[] = [];
  try {
    targets = spawn('ip', ['netns', 'exec', lab.hosts[0]!.ns, process.execPath, '-e', TARGETS], { stdio: ['pipe', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => createInterface({ input: targets!.stdout! }).once('line', () => resolve()));
    rows.push(await runOne(lab, 0, 'none', 1, windowS));
    process.stderr.write(`${JSON.stringify(rows.at(-1))}\n`);
    for (const n of sizes) {
      for (const type of types) {
        const delayLoop = Number(opt('delay-loop') ?? (n >= 10_000 ? 5 : 1));
        rows.push(await runOne(lab, n, type, delayLoop, windowS));
        process.stderr.write(`${JSON.stringify(rows.at(-1))}\n`);
      }
    }
  } finally {
    targets?.stdin?.end();
    targets?.kill();
    await lab.destroy();
  }
  console.log(`checks: one Vigil agent, loopback targets, VRRP master at advert_int 0.1 s meanwhile; ${windowS} s windows (keepalived's checker needs IPVS, which this kernel lacks: no side-by-side)`);
  console.log('| run                                   | checks/s | agent CPU % | RSS MB | detect ms | false DOWN | advert jitter p50 ms | p99 ms |');
  console.log('|---------------------------------------|----------|-------------|--------|-----------|------------|----------------------|--------|');
  for (const r of rows) {
    console.log(`| ${r.label.padEnd(37)} | ${r.checksPerSec.toFixed(0).padStart(8)} | ${r.cpuPct.toFixed(0).padStart(11)} | ${r.rssMb.toFixed(0).padStart(6)} | ${Number.isNaN(r.detectMs) ? '        -' : r.detectMs.toFixed(0).padStart(9)} | ${String(r.falseDown).padStart(10)} | ${r.jitterP50.toFixed(2).padStart(20)} | ${r.jitterP99.toFixed(2).padStart(6)} |`);
  }
}
