/**
 * The whole load balancer, in network namespaces: two Vigil directors run from keepalived.conf
 * (a VRRP instance whose VIPs are the service address and both gateways, and a virtual_server
 * with HTTP_GET checks) on the nftables data plane (this kernel has no IPVS), three real servers
 * and a sorry server running HTTP, and a client in its own subnet:
 *
 *   client h1 198.51.100.1 ── route 203.0.113.0/24 via 198.51.100.254 (a VIP) ─┐
 *   lbA h2 / lbB h3: VRRP VIPs 203.0.113.10/32, 198.51.100.254/24, 192.0.2.254/24 ├ one L2 segment
 *   rs1..rs3 h4..h6 :8080, weights 1/2/3, default via 192.0.2.254 (LVS-NAT)       │
 *   sorry h7 :8080 ──────────────────────────────────────────────────────────────┘
 *
 * Proves: traffic spreads by weight; a dead real server leaves the pool within delay_loop +
 * connect_timeout and returns when healthy; with all down the sorry server answers; the
 * master crashing keeps the service answering through the backup; a drain takes a server out
 * of new traffic; status shows real-server health.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireCapabilities } from '../support/capabilities.ts';
import { Director, type DirectorConf } from '../support/director.ts';
import { createLab, type NetnsLab } from '../support/netns.ts';

const run = requireCapabilities('load balancer end to end', ['root', 'netns', 'nft']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const VIGIL = join(import.meta.dirname, '../../agent/bin/vigil.mjs');

const VIP = '203.0.113.10';
const RS = ['192.0.2.4', '192.0.2.5', '192.0.2.6'];
const SORRY = '192.0.2.7';

const SERVER = `
const name = process.argv[1];
require('node:http').createServer((req, res) => { res.setHeader('connection', 'close'); res.end(name); })
  .listen(8080, '0.0.0.0', () => console.log('ready'));
process.stdin.on('end', () => process.exit(0)); process.stdin.resume();
`;

// n GETs, a new connection each, `concurrency` at a time; counts answers by server name.
const CLIENT = `
const http = require('node:http');
const o = JSON.parse(process.argv[1]);
const counts = {}; const failures = {}; let next = 0;
function one() {
  return new Promise((resolve) => {
    const req = http.get({ host: o.host, port: 80, path: '/', agent: false, timeout: 2000 }, (res) => {
      let body = ''; res.setEncoding('utf8'); res.on('data', (c) => { body += c; });
      res.on('end', () => { counts[body] = (counts[body] || 0) + 1; resolve(); });
    });
    req.on('timeout', () => req.destroy(new Error('ETIMEDOUT')));
    req.on('error', (e) => { const k = e.code || e.message; failures[k] = (failures[k] || 0) + 1; resolve(); });
  });
}
async function worker() { while (next++ < o.n) { await one(); if (o.gapMs) await new Promise((r) => setTimeout(r, o.gapMs)); } }
Promise.all(Array.from({ length: o.concurrency || 1 }, worker)).then(() => console.log(JSON.stringify({ counts, failures })));
`;

interface Result { counts: Record<string, number>; failures: Record<string, number> }

/** `extraVips`, `realServers` (default RS, weights 1/2/3 by position in RS) and `raw` vary the reload tests. */
const conf = (routerId: string, priority: number, o: { extraVips?: string[]; realServers?: string[]; raw?: string[] } = {}): DirectorConf => ({
  routerId,
  agentArgs: ['--lb-backend', 'nftables', '--metrics-listen', '127.0.0.1:9650'],
  instances: [{ name: 'VI_LB', version: 3, vrid: 60, advertInt: 0.1, priority, vips: [`${VIP}/32`, '198.51.100.254/24', '192.0.2.254/24', ...(o.extraVips ?? [])] }],
  raw: [
    `virtual_server ${VIP} 80 {`,
    '  delay_loop 1',
    '  lvs_sched wrr',
    '  lvs_method NAT',
    '  protocol TCP',
    `  sorry_server ${SORRY} 8080`,
    ...(o.realServers ?? RS).flatMap((a) => [
      `  real_server ${a} 8080 {`,
      `    weight ${RS.includes(a) ? RS.indexOf(a) + 1 : 1}`,
      '    HTTP_GET {',
      '      url {',
      '        path /',
      '        status_code 200',
      '      }',
      '      connect_timeout 1',
      '      retry 0',
      '    }',
      '  }',
    ]),
    '}',
    ...(o.raw ?? []),
  ],
});

describe.skipIf(!run)('load balancer end to end (Vigil agents, nftables, HTTP checks)', () => {
  let lab: NetnsLab;
  let A: Director;
  let B: Director;
  const servers = new Map<string, ChildProcess>();

  function startServer(i: number, name: string): Promise<void> {
    const ns = lab.hosts[i]!.ns;
    return new Promise((resolve, reject) => {
      const p = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', SERVER, name], { stdio: ['pipe', 'pipe', 'pipe'] });
      servers.set(name, p);
      p.once('exit', (code) => reject(new Error(`${name} exited (${code})`)));
      createInterface({ input: p.stdout! }).once('line', () => resolve());
    });
  }
  function stopServer(name: string): Promise<void> {
    const p = servers.get(name)!;
    servers.delete(name);
    return new Promise((resolve) => {
      p.removeAllListeners('exit');
      p.once('exit', () => resolve());
      p.kill('SIGKILL');
    });
  }
  async function get(n: number, concurrency = 4, gapMs = 0): Promise<Result> {
    const r = await lab.exec(lab.hosts[0]!.ns, process.execPath, ['-e', CLIENT, JSON.stringify({ host: VIP, n, concurrency, gapMs })], { timeoutMs: 120_000 });
    if (r.code !== 0) throw new Error(`client failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as Result;
  }
  async function lbStatus(d: Director) {
    const r = await lab.exec(d.host.ns, process.execPath, [VIGIL, 'status', '--state-dir', join(d.dir, 'state'), '--json']);
    if (r.code !== 0) throw new Error(`vigil status: ${r.stderr}`);
    return (JSON.parse(r.stdout) as { loadBalancer: { backend: string; checks: { attempts: number }; realServers: Array<{ address: string; up: boolean; weight: number; drained: boolean; reason: string }>; services: Array<{ service: string; destinations: Array<{ address: string; weight: number }> }> } }).loadBalancer;
  }
  /** When the director logged `address` DOWN last (pino's `time`, epoch ms). */
  function downLoggedAt(d: Director, address: string): number {
    const line = d.logs().split('\n').filter((l) => l.includes(`real server ${address}:8080 of`) && l.includes('is DOWN')).at(-1);
    if (!line) throw new Error(`${d.host.ns}: no DOWN line for ${address}`);
    return (JSON.parse(line) as { time: number }).time;
  }
  async function until(what: string, pred: () => Promise<boolean>, ms: number): Promise<number> {
    const t0 = Date.now();
    for (;;) {
      if (await pred()) return Date.now() - t0;
      if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}\nA: ${A.logs().slice(-2000)}\nB: ${B.logs().slice(-2000)}`);
      await sleep(50);
    }
  }

  beforeAll(async () => {
    lab = await createLab({ hosts: 7 });
    const [client, lbA, lbB, ...rest] = lab.hosts;
    const sysctl = (ns: string, ...kv: string[]) => lab.exec(ns, 'sysctl', ['-qw', ...kv]).then((r) => { if (r.code) throw new Error(r.stderr); });
    await lab.ip(client!.ns, 'addr', 'del', '192.0.2.1/24', 'dev', 'eth0');
    await lab.ip(client!.ns, 'addr', 'add', '198.51.100.1/24', 'dev', 'eth0');
    await lab.ip(client!.ns, 'route', 'add', '203.0.113.0/24', 'via', '198.51.100.254');
    for (const d of [lbA!, lbB!]) await sysctl(d.ns, 'net.ipv4.ip_forward=1', 'net.ipv4.conf.all.send_redirects=0', 'net.ipv4.conf.eth0.send_redirects=0');
    for (const h of rest) {
      await lab.ip(h.ns, 'route', 'add', 'default', 'via', '192.0.2.254');
      await sysctl(h.ns, 'net.ipv4.conf.all.accept_redirects=0', 'net.ipv4.conf.eth0.accept_redirects=0');
    }
    await Promise.all([startServer(3, 'rs1'), startServer(4, 'rs2'), startServer(5, 'rs3'), startServer(6, 'sorry')]);
    A = new Director(lab, lbA!, 'vigil', conf('lbA', 150));
    B = new Director(lab, lbB!, 'vigil', conf('lbB', 100));
    A.start();
    B.start();
    await A.waitForVip(VIP, true, 10_000);
    await B.waitForVip(VIP, false, 5000);
  }, 60_000);

  afterAll(async () => {
    await A?.destroy();
    await B?.destroy();
    for (const name of [...servers.keys()]) await stopServer(name);
    await lab?.destroy();
  });

  it('spreads traffic by weight (1/2/3) through the VIP, with every real server healthy in status', async () => {
    const s = await lbStatus(A);
    expect(s.backend).toBe('nftables');
    expect(s.realServers.map((r) => [r.address, r.up])).toEqual(RS.map((a) => [a, true]));
    const r = await get(600);
    expect(r.failures).toEqual({});
    expect(r.counts.rs1! + r.counts.rs2! + r.counts.rs3!).toBe(600);
    // Weighted random: 100/200/300 expected; ±60 is > 5 standard deviations for these counts.
    expect(Math.abs(r.counts.rs1! - 100)).toBeLessThan(60);
    expect(Math.abs(r.counts.rs2! - 200)).toBeLessThan(60);
    expect(Math.abs(r.counts.rs3! - 300)).toBeLessThan(60);
  });

  it('serves Prometheus metrics: VRRP state and counters, real-server health, data-plane counters', async () => {
    await sleep(600); // the data plane's counters are read back at most twice a second
    const r = await lab.exec(A.host.ns, 'curl', ['-fsS', 'http://127.0.0.1:9650/metrics']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('vigil_vrrp_state{instance="VI_LB",vrid="60",state="MASTER"} 1');
    expect(r.stdout).toMatch(/^vigil_vrrp_adverts_sent_total\{instance="VI_LB",vrid="60"\} [1-9]\d*$/m);
    for (const a of RS) expect(r.stdout).toContain(`vigil_real_server_up{virtual_server="TCP ${VIP}:80",real_server="${a}:8080"} 1`);
    expect(r.stdout).toMatch(/^vigil_ipvs_destination_connections_total\{service="TCP 203\.0\.113\.10:80",destination="192\.0\.2\.6:8080"\} [1-9]\d*$/m);
    const b = await lab.exec(B.host.ns, 'curl', ['-fsS', 'http://127.0.0.1:9650/metrics']);
    expect(b.stdout).toContain('vigil_vrrp_state{instance="VI_LB",vrid="60",state="BACKUP"} 1');
    expect((await lab.exec(A.host.ns, 'curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', 'http://127.0.0.1:9650/nope'])).stdout).toBe('404');
  });

  it('a dead real server leaves the pool within delay_loop + connect_timeout and returns when healthy', async () => {
    const stoppedAt = Date.now();
    await stopServer('rs2');
    await until('rs2 down on both directors', async () => {
      const [a, b] = await Promise.all([lbStatus(A), lbStatus(B)]);
      return !a.realServers[1]!.up && !b.realServers[1]!.up;
    }, 8000);
    // From the agents' own log time (`vigil status` is a process start, seconds on a loaded host).
    for (const d of [A, B]) expect(downLoggedAt(d, RS[1]!) - stoppedAt).toBeLessThanOrEqual(2000 + 100); // delay_loop 1 s + connect_timeout 1 s
    expect((await lbStatus(A)).realServers[1]!.reason).toMatch(/ECONNREFUSED/);
    const r = await get(200);
    expect(r.failures).toEqual({});
    expect(r.counts.rs2).toBeUndefined();
    await startServer(4, 'rs2');
    await until('rs2 back up', async () => (await lbStatus(A)).realServers[1]!.up, 5000);
    await sleep(200);
    expect((await get(200)).counts.rs2).toBeGreaterThan(0);
  });

  it('a real server that stops answering (packets dropped) is out within delay_loop + connect_timeout', async () => {
    const ns = lab.hosts[3]!.ns; // rs1
    const nft = (script: string) => new Promise<number>((resolve) => {
      const p = spawn('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], { stdio: ['pipe', 'ignore', 'inherit'] });
      p.once('exit', (code) => resolve(code ?? 1));
      p.stdin!.end(script);
    });
    const blockedAt = Date.now();
    expect(await nft('table inet vg_blackhole { chain in { type filter hook input priority filter; policy accept; tcp dport 8080 drop; }; }')).toBe(0);
    try {
      await until('rs1 down', async () => !(await lbStatus(A)).realServers[0]!.up, 8000);
      expect(downLoggedAt(A, RS[0]!) - blockedAt).toBeLessThanOrEqual(2000 + 100);
      expect((await lbStatus(A)).realServers[0]!.reason).toMatch(/timeout after 1000 ms/);
    } finally {
      expect(await nft('delete table inet vg_blackhole\n')).toBe(0);
    }
    await until('rs1 back up', async () => (await lbStatus(A)).realServers[0]!.up, 5000);
  });

  it('with every real server down the sorry server answers; they come back after', async () => {
    for (const n of ['rs1', 'rs2', 'rs3']) await stopServer(n);
    await until('all down', async () => (await lbStatus(A)).realServers.every((x) => !x.up), 5000);
    // Status says down when the health does; the data plane follows with the next reconcile
    // pass (an `nft` run, after the one running: hundreds of ms on a loaded machine).
    await until('the sorry server in the table', async () => (await get(1)).counts.sorry === 1, 2000);
    const r = await get(50);
    expect(r).toEqual({ counts: { sorry: 50 }, failures: {} });
    await Promise.all([startServer(3, 'rs1'), startServer(4, 'rs2'), startServer(5, 'rs3')]);
    await until('all up', async () => (await lbStatus(A)).realServers.every((x) => x.up), 5000);
    await until('the real servers in the table', async () => (await get(1)).counts.sorry === undefined, 2000);
    expect((await get(60)).counts.sorry).toBeUndefined();
  });

  it('drain: a drained real server gets no new connections; undrain brings it back', async () => {
    const stateDir = join(A.dir, 'state');
    const drain = (undo: boolean) => lab.exec(A.host.ns, process.execPath, [VIGIL, 'drain', '--state-dir', stateDir, `TCP ${VIP}:80`, `${RS[2]}:8080`, ...(undo ? ['--undo'] : [])]);
    const d = await drain(false);
    expect(d.code, d.stderr).toBe(0);
    expect((await lbStatus(A)).realServers[2]).toMatchObject({ drained: true, weight: 0, up: true });
    await sleep(100);
    expect((await get(100)).counts.rs3).toBeUndefined();
    expect((await drain(true)).code).toBe(0);
    await sleep(100);
    expect((await get(100)).counts.rs3).toBeGreaterThan(0);
    const bad = await lab.exec(A.host.ns, process.execPath, [VIGIL, 'drain', '--state-dir', stateDir, `TCP ${VIP}:80`, '10.9.9.9:1']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/no real server "10\.9\.9\.9:1"/);
  });

  it('a virtual server nftables cannot program (DR) is refused before anything starts', async () => {
    const bad = conf('lbC', 120);
    bad.raw = [`virtual_server ${VIP} 81 {`, '  lvs_sched wrr', '  lvs_method DR', `  real_server ${RS[0]} 81 {`, '  }', '}'];
    bad.instances = [{ ...bad.instances[0]!, vrid: 61, vips: ['192.0.2.199/24'] }];
    const C = new Director(lab, lab.hosts[6]!, 'vigil', bad);
    try {
      const r = await lab.exec(C.host.ns, process.execPath, [VIGIL, 'agent', '--keepalived', C.confPath, '--state-dir', join(C.dir, 'state'), '--lb-backend', 'nftables'], { timeoutMs: 30_000 });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/cannot program these virtual servers/);
      expect(r.stderr).toMatch(/DR/);
      expect(r.stderr).toMatch(/nothing was started/);
      expect(await C.holdsVip('192.0.2.199')).toBe(false);
    } finally {
      await C.destroy();
    }
  });

  it('a VRRP-only reload keeps DOWN real servers down, drains and checker counters; inserting a server keeps the drain on the drained one', async () => {
    const stateDir = join(A.dir, 'state');
    const reload = async (o: Parameters<typeof conf>[2]) => {
      A.writeConf(conf('lbA', 150, o));
      B.writeConf(conf('lbB', 100, o));
      B.signal('SIGHUP');
      A.signal('SIGHUP');
    };
    await stopServer('rs2');
    await until('rs2 down', async () => !(await lbStatus(A)).realServers[1]!.up, 5000);
    const drain = await lab.exec(A.host.ns, process.execPath, [VIGIL, 'drain', '--state-dir', stateDir, `TCP ${VIP}:80`, `${RS[2]}:8080`]);
    expect(drain.code, drain.stderr).toBe(0);
    const before = await lbStatus(A);
    // A VRRP-only change: one more VIP. The load balancer does not even see it.
    await reload({ extraVips: ['192.0.2.253/24'] });
    const seen: string[] = [];
    await until('the new VIP on A', async () => {
      const s = await lbStatus(A);
      seen.push(s.realServers.map((r) => `${r.address}:${r.up ? 'up' : 'down'}${r.drained ? ':drained' : ''}`).join(' '));
      return A.holdsVip('192.0.2.253');
    }, 5000);
    await sleep(300);
    const after = await lbStatus(A);
    seen.push(after.realServers.map((r) => `${r.address}:${r.up ? 'up' : 'down'}${r.drained ? ':drained' : ''}`).join(' '));
    // Never back in the table, not for one status read: rs2 stays down, rs3 stays drained.
    for (const line of seen) expect(line).toBe(`${RS[0]}:up ${RS[1]}:down ${RS[2]}:up:drained`);
    expect(after.checks.attempts).toBeGreaterThanOrEqual(before.checks.attempts);
    expect(A.logs()).toMatch(/load balancer unchanged/);
    const table = () => after.services[0]!.destinations.map((d) => `${d.address}:${d.weight}`).sort();
    expect(table()).toEqual([`${RS[0]}:1`, `${RS[2]}:0`]);
    // Insert a real server before the drained one: the drain stays with rs3 (identity, not position).
    const NEW = '192.0.2.9'; // nobody: it goes DOWN on its first check
    await reload({ extraVips: ['192.0.2.253/24'], realServers: [RS[0]!, RS[1]!, NEW, RS[2]!] });
    await until('the inserted server checked', async () => (await lbStatus(A)).realServers.some((r) => r.address === NEW && !r.up), 5000);
    const inserted = await lbStatus(A);
    expect(inserted.realServers.map((r) => [r.address, r.up, r.drained])).toEqual([[RS[0], true, false], [RS[1], false, false], [NEW, false, false], [RS[2], true, true]]);
    expect(await get(60)).toEqual({ counts: { rs1: 60 }, failures: {} });
    // Back to the original config, rs2 back, rs3 undrained.
    expect((await lab.exec(A.host.ns, process.execPath, [VIGIL, 'drain', '--state-dir', stateDir, '--undo', `TCP ${VIP}:80`, `${RS[2]}:8080`])).code).toBe(0);
    await startServer(4, 'rs2');
    await reload({});
    await until('all up, none drained, VIP gone', async () => {
      const s = await lbStatus(A);
      return s.realServers.length === 3 && s.realServers.every((r) => r.up && !r.drained) && !(await A.holdsVip('192.0.2.253'));
    }, 8000);
  });

  it('a later revision nftables cannot program (DR) is rejected on SIGHUP and changes nothing', async () => {
    const before = await lbStatus(A);
    A.writeConf(conf('lbA', 150, {
      extraVips: ['192.0.2.252/24'],
      raw: [`virtual_server ${VIP} 81 {`, '  lvs_sched wrr', '  lvs_method DR', `  real_server ${RS[0]} 81 {`, '  }', '}'],
    }));
    const logAt = A.logs().length;
    A.signal('SIGHUP');
    await until('the rejection logged', async () => /reload rejected/.test(A.logs().slice(logAt)), 5000);
    const log = A.logs().slice(logAt);
    expect(log).toMatch(/cannot program these virtual servers/);
    expect(log).toMatch(/DR/);
    expect(log).toMatch(/nothing was changed/);
    await sleep(300);
    expect(await A.holdsVip('192.0.2.252')).toBe(false);
    const after = await lbStatus(A);
    expect(after.services.map((s) => s.service)).toEqual(before.services.map((s) => s.service));
    expect((await get(30)).failures).toEqual({});
    A.writeConf(conf('lbA', 150));
  });

  it('the master crashing keeps the service answering: the backup takes the VIPs with its table ready', async () => {
    const load = get(400, 2, 10); // ~2 s of traffic across the crash
    await sleep(500);
    await A.crash();
    const r = await load;
    await B.waitForVip(VIP, true, 1000);
    const ok = Object.values(r.counts).reduce((a, b) => a + b, 0);
    // Connections in flight on the dead director, and new ones during the ~0.36 s down interval,
    // fail; everything else is answered by one of the real servers.
    expect(ok).toBeGreaterThan(300);
    expect(r.counts.sorry).toBeUndefined();
    const after = await get(60);
    expect(after.failures).toEqual({});
    expect(Object.keys(after.counts).sort()).toEqual(['rs1', 'rs2', 'rs3']);
  });
});
