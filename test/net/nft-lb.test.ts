/**
 * The nftables load-balancing data plane on a real kernel, LVS-NAT style, in network namespaces:
 *
 *   client h1 (198.51.100.1, .3; 2001:db8:0:2::1) ─┐
 *   director h2 (192.0.2.2 + 198.51.100.2; VIPs 203.0.113.10, .20, 2001:db8:100::10; forwarding)
 *   rs1..rs3 h3..h5 (192.0.2.3-5, :8080) ───────────┼─ one L2 segment (the lab's bridge)
 *   sorry h6 (192.0.2.6, :8080) ────────────────────┘
 *
 * The client sits in its own subnet, so the real servers answer it through their default route,
 * the director, whose conntrack undoes the DNAT (no SNAT: real servers see the client address).
 * ICMP redirects are off on both ends (one segment would otherwise let them short-cut the
 * director). The director's table comes from the cluster spec through desiredTable(), and the
 * NftController runs in this process with `ip netns exec <director> nft`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterSpec } from '#schema';
import { desiredTable, realServerKey } from '#agent/lb/desired.ts';
import { renderNft } from '#agent/lb/nft/render.ts';
import { dest, service, tcp } from '#agent/lb/nft/fixtures.ts';
import { NftController } from '#agent/os/nft/controller.ts';
import { execNft } from '#agent/os/nft/exec.ts';
import { selectLbBackend } from '#agent/os/lb-backend.ts';
import { NO_FLAGS, type VirtualServerTable } from '#agent/lb/model.ts';
import { requireCapabilities } from '../support/capabilities.ts';
import { createLab, type NetnsLab } from '../support/netns.ts';

const run = requireCapabilities('nftables load balancing', ['root', 'netns', 'nft']);

const VIP = '203.0.113.10';
const VIP_FWM = '203.0.113.20';
const VIP6 = '2001:db8:100::10';
const RS = ['192.0.2.3', '192.0.2.4', '192.0.2.5'];
const RS6 = ['2001:db8:0:1::3', '2001:db8:0:1::4', '2001:db8:0:1::5'];

const spec = ClusterSpec.parse({
  version: 1,
  virtualServers: [
    // 0: weighted 1/2/3, sorry server when all are down
    { address: VIP, port: 80, scheduler: 'wrr', sorryServer: { address: '192.0.2.6', port: 8080 }, realServers: RS.map((address, i) => ({ address, port: 8080, weight: i + 1 })) },
    // 1: persistent
    { address: VIP, port: 81, scheduler: 'wrr', persistenceTimeoutMs: 60_000, realServers: RS.map((address) => ({ address, port: 8080, weight: 1 })) },
    // 2: no sorry server: all down = rejected like IPVS
    { address: VIP, port: 82, scheduler: 'rr', realServers: [{ address: RS[0], port: 8080 }] },
    // 3: IPv6
    { address: VIP6, port: 80, scheduler: 'wrr', realServers: RS6.map((address, i) => ({ address, port: 8080, weight: i + 1 })) },
    // 4: fwmark 7, set by a foreign table for VIP_FWM:80
    { fwmark: 7, ipFamily: 'inet', scheduler: 'rr', realServers: RS.map((address) => ({ address, port: 8080 })) },
  ],
});

function table(down: [number, number][] = [], weights: Record<string, number> = {}): VirtualServerTable {
  const s = structuredClone(spec);
  for (const [key, w] of Object.entries(weights)) {
    const [v, r] = key.split('/').map(Number);
    s.virtualServers[v!]!.realServers[r!]!.weight = w;
  }
  const health = new Map(down.map(([v, r]) => [realServerKey(s.virtualServers, v, r), false]));
  const d = desiredTable({ virtualServers: s.virtualServers, virtualServerGroups: s.virtualServerGroups, health });
  expect(d.problems).toEqual([]);
  return d.table;
}

// Runs in the client namespace: `n` GETs, each on a new connection, `concurrency` at a time.
const CLIENT = `
const http = require('node:http');
const o = JSON.parse(process.argv[1]);
const counts = {}; const failures = {}; const remotes = new Set(); let next = 0;
function one() {
  return new Promise((resolve) => {
    const req = http.get({ host: o.host, port: o.port, path: '/', agent: false, timeout: 3000, ...(o.localAddress ? { localAddress: o.localAddress } : {}) }, (res) => {
      let body = ''; res.setEncoding('utf8'); res.on('data', (c) => { body += c; });
      res.on('end', () => { const [name, remote] = body.split(' '); counts[name] = (counts[name] || 0) + 1; remotes.add(remote); resolve(); });
    });
    req.on('timeout', () => req.destroy(new Error('ETIMEDOUT')));
    req.on('error', (e) => { const k = e.code || e.message; failures[k] = (failures[k] || 0) + 1; resolve(); });
  });
}
async function worker() { while (next++ < o.n) await one(); }
Promise.all(Array.from({ length: o.concurrency || 1 }, worker)).then(() => console.log(JSON.stringify({ counts, failures, remotes: [...remotes] })));
`;

// Runs in a real-server namespace: answers "<name> <client address>" on [::]:8080 (dual stack).
const SERVER = `
const name = process.argv[1];
require('node:http').createServer((req, res) => { res.setHeader('connection', 'close'); res.end(name + ' ' + req.socket.remoteAddress.replace(/^::ffff:/, '')); })
  .listen(8080, '::', () => console.log('ready'));
process.stdin.on('end', () => process.exit(0)); process.stdin.resume();
`;

interface Result { counts: Record<string, number>; failures: Record<string, number>; remotes: string[] }

describe.skipIf(!run)('nftables load balancing in network namespaces', () => {
  let lab: NetnsLab;
  let client: string;
  let director: string;
  let ctl: NftController;
  const servers: ChildProcess[] = [];
  const nft = (...args: string[]) => lab.exec(director, 'nft', args);

  async function get(o: { host?: string; port?: number; n: number; concurrency?: number; localAddress?: string }): Promise<Result> {
    const r = await lab.exec(client, process.execPath, ['-e', CLIENT, JSON.stringify({ host: VIP, port: 80, concurrency: 4, ...o })], { timeoutMs: 60_000 });
    if (r.code !== 0) throw new Error(`client failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as Result;
  }

  async function apply(t: VirtualServerTable) {
    const r = await ctl.apply(t);
    if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
    return r.value;
  }

  const FOREIGN = `table inet vg_foreign_mark {
  chain pre {
    type filter hook prerouting priority mangle; policy accept;
    ip daddr ${VIP_FWM} tcp dport 80 meta mark set 7
  }
}
table ip vg_foreign_filter {
  chain fw {
    type filter hook forward priority filter; policy accept;
    tcp dport 9 drop
  }
}
`;

  beforeAll(async () => {
    lab = await createLab({ hosts: 6 });
    const [c, d, ...rest] = lab.hosts;
    client = c!.ns;
    director = d!.ns;
    const sysctl = (ns: string, ...kv: string[]) => lab.exec(ns, 'sysctl', ['-qw', ...kv]).then((r) => { if (r.code) throw new Error(r.stderr); });
    // The client in its own subnets, reaching the VIPs through the director.
    await lab.ip(client, 'addr', 'del', '192.0.2.1/24', 'dev', 'eth0');
    await lab.ip(client, 'addr', 'del', '2001:db8:0:1::1/64', 'dev', 'eth0');
    await lab.ip(client, 'addr', 'add', '198.51.100.1/24', 'dev', 'eth0');
    await lab.ip(client, 'addr', 'add', '198.51.100.3/24', 'dev', 'eth0');
    await lab.ip(client, 'addr', 'add', '2001:db8:0:2::1/64', 'dev', 'eth0', 'nodad');
    await lab.ip(client, 'route', 'add', '203.0.113.0/24', 'via', '198.51.100.2');
    await lab.ip(client, '-6', 'route', 'add', '2001:db8:100::/64', 'via', '2001:db8:0:2::2');
    // The director: both subnets, the VIPs as plain addresses, forwarding, no redirects.
    await lab.ip(director, 'addr', 'add', '198.51.100.2/24', 'dev', 'eth0');
    await lab.ip(director, 'addr', 'add', '2001:db8:0:2::2/64', 'dev', 'eth0', 'nodad');
    await lab.ip(director, 'addr', 'add', `${VIP}/32`, 'dev', 'eth0');
    await lab.ip(director, 'addr', 'add', `${VIP_FWM}/32`, 'dev', 'eth0');
    await lab.ip(director, 'addr', 'add', `${VIP6}/128`, 'dev', 'eth0', 'nodad');
    await sysctl(director, 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1', 'net.ipv4.conf.all.send_redirects=0', 'net.ipv4.conf.eth0.send_redirects=0');
    // Real servers: the director is their gateway (LVS-NAT); ignore redirects.
    for (const h of rest) {
      await lab.ip(h.ns, 'route', 'add', 'default', 'via', '192.0.2.2');
      await lab.ip(h.ns, '-6', 'route', 'add', 'default', 'via', '2001:db8:0:1::2');
      await sysctl(h.ns, 'net.ipv4.conf.all.accept_redirects=0', 'net.ipv4.conf.eth0.accept_redirects=0', 'net.ipv6.conf.all.accept_redirects=0', 'net.ipv6.conf.eth0.accept_redirects=0');
    }
    const names = ['rs1', 'rs2', 'rs3', 'sorry'];
    await Promise.all(rest.map((h, i) => new Promise<void>((resolve, reject) => {
      const p = spawn('ip', ['netns', 'exec', h.ns, process.execPath, '-e', SERVER, names[i]!], { stdio: ['pipe', 'pipe', 'pipe'] });
      servers.push(p);
      let err = '';
      p.stderr!.on('data', (b: Buffer) => { err += b.toString(); });
      p.once('exit', (code) => reject(new Error(`server ${names[i]} exited (${code}): ${err}`)));
      createInterface({ input: p.stdout! }).once('line', () => resolve());
    })));
    // Someone else's tables on the director: a mangle chain marking VIP_FWM traffic, a filter.
    const f = await new Promise<number>((resolve) => {
      const p = spawn('ip', ['netns', 'exec', director, 'nft', '-f', '-'], { stdio: ['pipe', 'ignore', 'inherit'] });
      p.once('exit', (code) => resolve(code ?? 1));
      p.stdin!.end(FOREIGN);
    });
    expect(f).toBe(0);
    ctl = new NftController(execNft({ command: ['ip', 'netns', 'exec', director, 'nft'] }));
  });

  afterAll(async () => {
    await ctl?.stop();
    for (const p of servers) {
      p.stdin?.end();
      p.kill('SIGTERM');
    }
    await lab?.destroy();
  });

  it('auto picks IPVS when the kernel has it, else nftables', async () => {
    const r = await selectLbBackend('auto', execNft({ command: ['ip', 'netns', 'exec', director, 'nft'] }));
    // After the probe: resolving the IPVS genl family may have autoloaded ip_vs.
    const ipvs = existsSync('/proc/net/ip_vs');
    expect(r).toMatchObject({ ok: true, value: { backend: ipvs ? 'ipvs' : 'nftables' } });
    const forced = await selectLbBackend('ipvs', execNft({ command: ['ip', 'netns', 'exec', director, 'nft'] }));
    expect(forced.ok).toBe(ipvs);
  });

  it('the kernel accepts every shape the renderer writes (check mode)', async () => {
    const ds = [dest('192.0.2.3', 8080, 2), dest('192.0.2.4', 8080, 4), dest('192.0.2.5', 0, 1)];
    const ds6 = [dest('2001:db8::3', 8080, 1), dest('2001:db8::4', 0, 3)];
    const t: VirtualServerTable = { services: [
      ...(['rr', 'wrr', 'sh', 'dh', 'fo'] as const).map((scheduler, i) => service(tcp(`10.0.0.${i + 1}`, 80), ds, { scheduler, flags: { ...NO_FLAGS, sched2: true }, persistence: { timeoutSec: 30, netmaskPrefix: 24 } })),
      service({ kind: 'address', family: 'inet6', protocol: 'UDP', address: '2001:db8::10', port: 0 }, ds6, { scheduler: 'sh', persistence: { timeoutSec: 30, netmaskPrefix: 64 } }),
      service({ kind: 'address', family: 'inet', protocol: 'SCTP', address: '10.0.0.9', port: 9 }, ds),
      service({ kind: 'fwmark', family: 'inet', fwmark: 3 }, ds),
      service({ kind: 'fwmark', family: 'inet6', fwmark: 3 }, ds6),
      service({ kind: 'fwmark', family: 'inet6', fwmark: 4 }, []),
      service(tcp('2001:db8::11', 80), [dest('2001:db8::3', 80, 0)]),
    ] };
    const r = renderNft(t, { tableName: 'vg_check' });
    const check = await new Promise<{ code: number; err: string }>((resolve) => {
      const p = spawn('ip', ['netns', 'exec', director, 'nft', '-c', '-f', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
      let err = '';
      p.stderr!.on('data', (b: Buffer) => { err += b.toString(); });
      p.once('exit', (code) => resolve({ code: code ?? 1, err }));
      p.stdin!.end(r.script);
    });
    expect(check.err).toBe('');
    expect(check.code).toBe(0);
    expect((await nft('list', 'tables')).stdout).not.toContain('vg_check');
  });

  it('spreads new connections by weight (1/2/3 over 600), without SNAT, and reads the counters back', async () => {
    const first = await apply(table());
    expect(first).toMatchObject({ applied: true, reasons: ['table inet vigil_lb is absent'] });
    const r = await get({ n: 600 });
    expect(r.failures).toEqual({});
    expect(Object.keys(r.counts).sort()).toEqual(['rs1', 'rs2', 'rs3']);
    // Expected 100/200/300; binomial sd is 9-12, so +-45 is about 4 sd.
    expect(Math.abs(r.counts.rs1! - 100)).toBeLessThan(45);
    expect(Math.abs(r.counts.rs2! - 200)).toBeLessThan(45);
    expect(Math.abs(r.counts.rs3! - 300)).toBeLessThan(45);
    expect(r.remotes).toEqual(['198.51.100.1']);
    // Same table again: nothing written; the read-back counts exactly what the client saw.
    const again = await apply(table());
    expect(again.applied).toBe(false);
    const svc = ctl.lastTable!.services[0]!;
    expect(svc.destinations.map((d) => d.stats.conns)).toEqual([r.counts.rs1, r.counts.rs2, r.counts.rs3]);
  });

  it('IPv6 and fwmark services balance too', async () => {
    const v6 = await get({ host: VIP6, n: 60 });
    expect(v6.failures).toEqual({});
    expect(Object.keys(v6.counts).length).toBeGreaterThanOrEqual(2);
    expect(v6.remotes).toEqual(['2001:db8:0:2::1']);
    const fwm = await get({ host: VIP_FWM, n: 30, concurrency: 1 });
    expect(fwm.failures).toEqual({});
    expect(fwm.counts).toEqual({ rs1: 10, rs2: 10, rs3: 10 }); // rr: an exact rotation
  });

  it('replacing the table is atomic: no connection fails while it is swapped, and a removed server gets no new ones', async () => {
    await apply(table());
    const load = get({ n: 800, concurrency: 4 });
    for (let i = 0; i < 12; i++) {
      const r = await apply(i % 2 === 0 ? table([[0, 2]]) : table());
      expect(r.applied).toBe(true);
    }
    const during = await load;
    expect(during.failures).toEqual({});
    expect(Object.values(during.counts).reduce((a, b) => a + b, 0)).toBe(800);
    // Control: the same load does notice a gap (delete, 50 ms, re-create: two transactions).
    const gapLoad = get({ n: 400, concurrency: 4 });
    for (let i = 0; i < 5; i++) {
      await nft('delete', 'table', 'inet', 'vigil_lb');
      await new Promise((r) => setTimeout(r, 50));
      await apply(table());
    }
    expect((await gapLoad).failures.ECONNREFUSED).toBeGreaterThan(0);
    await apply(table([[0, 2]]));
    const after = await get({ n: 200 });
    expect(after.failures).toEqual({});
    expect(after.counts.rs3).toBeUndefined();
    expect(after.counts.rs1! + after.counts.rs2!).toBe(200);
  });

  it('all real servers down: the sorry server answers; no sorry server: refused like IPVS (ICMP port unreachable)', async () => {
    await apply(table([[0, 0], [0, 1], [0, 2], [2, 0]]));
    const sorry = await get({ n: 20 });
    expect(sorry).toMatchObject({ counts: { sorry: 20 }, failures: {} });
    const refused = await get({ port: 82, n: 5, concurrency: 1 });
    expect(refused.counts).toEqual({});
    expect(refused.failures).toEqual({ ECONNREFUSED: 5 });
    await apply(table());
    const back = await get({ port: 82, n: 3, concurrency: 1 });
    expect(back.counts).toEqual({ rs1: 3 });
  });

  it('persistence keeps a client on one server, across a table replace, until that server leaves', async () => {
    await apply(table());
    const a = await get({ port: 81, n: 30, localAddress: '198.51.100.1' });
    const b = await get({ port: 81, n: 30, localAddress: '198.51.100.3' });
    expect(a.failures).toEqual({});
    expect(Object.values(a.counts)).toEqual([30]);
    expect(Object.values(b.counts)).toEqual([30]);
    const sticky = Object.keys(a.counts)[0]!;
    const idx = ['rs1', 'rs2', 'rs3'].indexOf(sticky);
    // Change another server's weight: a new ruleset; the sticky server's set is left as it was.
    const other = (idx + 1) % 3;
    const changed = await apply(table([], { [`1/${other}`]: 5 }));
    expect(changed).toMatchObject({ applied: true, mode: 'in-place' });
    const a2 = await get({ port: 81, n: 20, localAddress: '198.51.100.1' });
    expect(a2.counts).toEqual({ [sticky]: 20 });
    // The sticky server fails: the client is rescheduled and sticks to its new server.
    await apply(table([[1, idx]], { [`1/${other}`]: 5 }));
    const a3 = await get({ port: 81, n: 20, localAddress: '198.51.100.1' });
    expect(Object.keys(a3.counts)).toHaveLength(1);
    expect(a3.counts[sticky]).toBeUndefined();
    // Read back (same table: nothing written): the new server's set holds the client.
    expect((await apply(table([[1, idx]], { [`1/${other}`]: 5 }))).applied).toBe(false);
    const dests = ctl.lastTable!.services[1]!.destinations;
    expect(dests.map((d) => d.address)).not.toContain(RS[idx]);
    const now = RS[['rs1', 'rs2', 'rs3'].indexOf(Object.keys(a3.counts)[0]!)];
    expect(dests.find((d) => d.address === now)!.persistentConns).toBeGreaterThanOrEqual(1);
  });

  it('a table someone altered beyond repair in place is re-created (one transaction)', async () => {
    await apply(table());
    const r = await lab.exec(director, 'sh', ['-c', 'printf "%s\\n" "flush chain inet vigil_lb prerouting" "delete chain inet vigil_lb prerouting" "add chain inet vigil_lb prerouting { type nat hook prerouting priority 50; policy accept; }" | nft -f -']);
    expect(r.stderr).toBe('');
    const fixed = await apply(table());
    expect(fixed).toMatchObject({ applied: true, mode: 'recreate' });
    expect((await nft('list', 'chain', 'inet', 'vigil_lb', 'prerouting')).stdout).toContain('priority dstnat');
    expect((await get({ n: 30 })).failures).toEqual({});
  });

  it('never touches a foreign table; stop() removes its own table and nothing else', async () => {
    const listed = async (t: string) => (await nft('list', 'table', ...t.split(' '))).stdout;
    const before = [await listed('inet vg_foreign_mark'), await listed('ip vg_foreign_filter')];
    expect(before[0]).toContain('meta mark set 0x00000007');
    await apply(table([[0, 1]]));
    expect([await listed('inet vg_foreign_mark'), await listed('ip vg_foreign_filter')]).toEqual(before);
    expect((await ctl.stop()).ok).toBe(true);
    const tables = (await nft('list', 'tables')).stdout;
    expect(tables).not.toContain('vigil_lb');
    expect(tables).toContain('table inet vg_foreign_mark');
    expect(tables).toContain('table ip vg_foreign_filter');
    expect([await listed('inet vg_foreign_mark'), await listed('ip vg_foreign_filter')]).toEqual(before);
    // Without the table nothing forwards VIP:80 any more (no listener on the director).
    const gone = await get({ n: 3, concurrency: 1 });
    expect(gone.failures).toEqual({ ECONNREFUSED: 3 });
    expect((await ctl.stop()).ok).toBe(true); // idempotent
  });
});
