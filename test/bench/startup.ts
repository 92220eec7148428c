/**
 * `npm run bench -- startup`: how fast the command line starts, beside keepalived's.
 *
 *   vigil check      wall time of `vigil check FILE` on Debian's keepalived samples, run as the
 *                    installed command runs it (agent/bin/vigil.cjs, the package's bin: the
 *                    compiled build, from its code cache),
 *                    beside the same build's ES modules without the code cache (VIGIL_CODE_CACHE=0),
 *                    from the sources through tsx (VIGIL_SOURCES=1, the old way), and under npx;
 *                    and node itself running an empty script (the floor of any node command);
 *                    beside `keepalived -t -f FILE` (its config test)
 *   fleet command    wall time of `vigil sites -o json` against a running control plane
 *                    (compiled, embedded database, loopback)
 *   agent ready      from spawning `vigil agent --keepalived FILE` in a network namespace to its
 *                    instance entering BACKUP (the log line's arrival), and its RSS then; the
 *                    same for `keepalived -n -l --vrrp` ("Entering BACKUP STATE", parent + VRRP
 *                    child RSS)
 *
 * Medians over `--runs=N` (default 10; agents 5). Root (network namespaces).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLab } from '../support/netns.ts';
import { median } from './capture.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));
// The `vigil` command as installed (package.json's bin: `npx vigil`, `npm link`), without npm.
const VIGIL = join(repo, 'agent/bin/vigil.cjs');
const SAMPLES = '/usr/share/doc/keepalived/samples';
const ms = (x: number) => `${x.toFixed(0)} ms`;

function wall(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'], cwd: repo });
  const t = performance.now() - t0;
  // 0 valid, 1 invalid (warnings do not fail either tool); anything else is a broken run.
  if (r.status !== 0 && r.status !== 1) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}\n${r.stderr?.toString().slice(-2000)}`);
  return t;
}

function times(n: number, f: () => number): number {
  f(); // warm the page cache (and build the compiled CLI if sources changed)
  return median(Array.from({ length: n }, f));
}

function rssKb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}

/**
 * keepalived -t refuses a file naming an interface the host lacks, so both tools run in a
 * namespace that has eth0 and eth1 (through `ip netns exec`, the same few ms for each).
 */
async function checkBench(runs: number, ns: string): Promise<void> {
  const files = ['keepalived.conf.vrrp', 'keepalived.conf.HTTP_GET.port', 'keepalived.conf.virtual_server_group'].map((f) => join(SAMPLES, f)).filter((f) => existsSync(f));
  if (!files.length) throw new Error(`no keepalived samples in ${SAMPLES} (Debian's keepalived package)`);
  console.log(`\nvigil check (median of ${runs} runs, wall)`);
  console.log('sample'.padEnd(40), 'compiled'.padStart(10), 'ES modules'.padStart(11), 'tsx'.padStart(10), 'npx'.padStart(10), 'keepalived -t'.padStart(14));
  const inNs = ['netns', 'exec', ns];
  for (const f of files) {
    // compiled: as `vigil` runs (the code-cached script); ES modules: the same build without it.
    const compiled = times(runs, () => wall('ip', [...inNs, process.execPath, VIGIL, 'check', f], { ...process.env, VIGIL_COMPILED: '1' }));
    const modules = times(runs, () => wall('ip', [...inNs, process.execPath, VIGIL, 'check', f], { ...process.env, VIGIL_COMPILED: '1', VIGIL_CODE_CACHE: '0' }));
    const tsx = times(Math.min(runs, 5), () => wall('ip', [...inNs, process.execPath, VIGIL, 'check', f], { ...process.env, VIGIL_SOURCES: '1' }));
    const npx = times(Math.min(runs, 3), () => wall('ip', [...inNs, 'npx', 'vigil', 'check', f]));
    const ka = times(runs, () => wall('ip', [...inNs, 'keepalived', '-t', '-f', f]));
    console.log(f.replace(`${SAMPLES}/`, '').padEnd(40), ms(compiled).padStart(10), ms(modules).padStart(11), ms(tsx).padStart(10), ms(npx).padStart(10), ms(ka).padStart(14));
  }
  // What no JavaScript command can go under on this machine: node starting and running nothing.
  const empty = join(mkdtempSync(join(tmpdir(), 'vigil-bench-startup-')), 'empty.mjs');
  writeFileSync(empty, '');
  console.log(`node itself (an empty script, same namespace): ${ms(times(runs, () => wall('ip', [...inNs, process.execPath, empty])))}`);
  rmSync(dirname(empty), { recursive: true, force: true });
}

async function fleetBench(runs: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-startup-'));
  const token = `vgl_bench_${Date.now()}_startup`;
  const port = 19000 + (process.pid % 500);
  const cp = spawn(process.execPath, [VIGIL, 'control-plane', '--host', '127.0.0.1', '--port', String(port), '--data-dir', join(dir, 'data')], { env: { ...process.env, VIGIL_BOOTSTRAP_TOKEN: token }, stdio: 'ignore' });
  try {
    const env = { ...process.env, VIGIL_API: `http://127.0.0.1:${port}`, VIGIL_TOKEN: token, HOME: dir };
    for (let i = 0; ; i++) {
      if (spawnSync(process.execPath, [VIGIL, 'sites', '-o', 'json'], { env, stdio: 'ignore' }).status === 0) break;
      if (i > 240) throw new Error('the control plane did not answer');
      await new Promise((r) => setTimeout(r, 250));
    }
    const compiled = { ...env, VIGIL_COMPILED: '1' };
    const sites = times(runs, () => wall(process.execPath, [VIGIL, 'sites', '-o', 'json'], compiled));
    const fleet = times(runs, () => wall(process.execPath, [VIGIL, 'fleet'], compiled));
    console.log(`\nfleet commands against a control plane on loopback (median of ${runs} runs, wall)`);
    console.log(`  vigil sites -o json   ${ms(sites)}`);
    console.log(`  vigil fleet           ${ms(fleet)}`);
  } finally {
    cp.kill('SIGTERM');
    await new Promise((r) => cp.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Spawns `args` in `ns`; resolves with ms until a line matches `ready`, and the RSS then. */
function untilLine(ns: string, args: string[], ready: RegExp, rssPids: (pid: number) => number[]): Promise<{ ms: number; rssKb: number; stop: () => Promise<void> }> {
  const t0 = performance.now();
  const child = spawn('ip', ['netns', 'exec', ns, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  };
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => { void stop(); reject(new Error(`not ready after 20 s:\n${out.slice(-2000)}`)); }, 20_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (ready.test(out)) {
        const t = performance.now() - t0;
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.stderr!.off('data', onData);
        const rss = rssPids(child.pid!).reduce((s, p) => s + rssKb(p), 0);
        resolve({ ms: t, rssKb: rss, stop });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
  });
}

async function agentBench(runs: number): Promise<void> {
  const lab = await createLab({ hosts: 1 });
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-startup-'));
  try {
    const h = lab.hosts[0]!;
    const conf = join(dir, 'keepalived.conf');
    writeFileSync(conf, [
      'global_defs {', '  router_id bench', '}',
      'vrrp_instance VI_1 {', '  state BACKUP', `  interface ${h.ifname}`, '  virtual_router_id 51', '  priority 100', '  advert_int 1',
      '  virtual_ipaddress {', '    192.0.2.100/24', '  }', '}', '',
    ].join('\n'));
    const vigil: { ms: number; rss: number }[] = [];
    const ka: { ms: number; rss: number }[] = [];
    // Not counted, as for the commands above: the page cache warm, and the agent's code cache
    // written (by this first run's exit).
    await (await untilLine(h.ns, [process.execPath, VIGIL, 'agent', '--keepalived', conf, '--state-dir', join(dir, 'state-warm')], /-> BACKUP/, (pid) => [pid])).stop();
    for (let i = 0; i < runs; i++) {
      const state = join(dir, `state-${i}`);
      const v = await untilLine(h.ns, [process.execPath, VIGIL, 'agent', '--keepalived', conf, '--state-dir', state], /-> BACKUP/, (pid) => [pid]);
      vigil.push({ ms: v.ms, rss: v.rssKb });
      await v.stop();
      const k = await untilLine(h.ns, ['keepalived', '-n', '-l', '-D', '--vrrp', '-f', conf, '-p', join(dir, `k${i}.pid`), '-r', join(dir, `v${i}.pid`)], /Entering BACKUP STATE/, (pid) => {
        const child = existsSync(join(dir, `v${i}.pid`)) ? [Number(readFileSync(join(dir, `v${i}.pid`), 'utf8').trim())] : [];
        return [pid, ...child];
      });
      ka.push({ ms: k.ms, rss: k.rssKb });
      await k.stop();
    }
    console.log(`\nagent ready: spawn to the instance in BACKUP (median of ${runs} runs)`);
    console.log(`  vigil agent (compiled)   ${ms(median(vigil.map((x) => x.ms)))}   RSS ${(median(vigil.map((x) => x.rss)) / 1024).toFixed(0)} MB`);
    console.log(`  keepalived --vrrp        ${ms(median(ka.map((x) => x.ms)))}   RSS ${(median(ka.map((x) => x.rss)) / 1024).toFixed(0)} MB (parent + VRRP child)`);
  } finally {
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(args: string[]): Promise<void> {
  const runs = Number(args.find((a) => a.startsWith('--runs='))?.slice(7) ?? 10);
  // The compiled build for the sources as they are (what `npm ci` leaves), made before timing.
  spawnSync(process.execPath, [join(repo, 'agent/bin/compiled.mjs')], { stdio: 'inherit' });
  const builds = readdirSync(join(repo, 'agent/dist')).filter((n) => n.startsWith('cli-'));
  console.log(`compiled builds present: ${builds.length}`);
  if (process.getuid?.() !== 0) throw new Error('bench startup needs root (network namespaces)');
  const lab = await createLab({ hosts: 1 });
  try {
    const ns = lab.hosts[0]!.ns;
    await lab.ip(ns, 'link', 'add', 'eth1', 'type', 'bridge');
    await lab.ip(ns, 'link', 'set', 'eth1', 'up');
    await checkBench(runs, ns);
  } finally {
    await lab.destroy();
  }
  await fleetBench(runs);
  await agentBench(Math.max(3, Math.round(runs / 2)));
}
