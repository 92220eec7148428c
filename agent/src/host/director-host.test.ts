/**
 * The whole director (VRRP + load balancer + health + hooks) on the in-memory OS: every reload
 * scenario of issue 11, fast. Two directors share a fake segment; lb1 (150) is master, lb2 (100)
 * backup. The same scenarios run against real kernels and keepalived in test/net/reload.test.ts
 * and test/net/lb-agent.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ClusterSpec, type ClusterSpecInput } from '../../../schema/src/spec/cluster.ts';
import { resolveDirectorConfig, type ResolvedDirectorConfig } from '../../../schema/src/spec/resolve.ts';
import { FakeClock, FakeHost, FakeSegment } from '../os/fake/index.ts';
import type { AgentEvent } from '../runtime/agent.ts';
import type { LbEvent } from '../runtime/lb.ts';
import { DirectorHost, type HostOptions } from './director-host.ts';
import { fakeDirectorOs, type FakeDirectorOs } from './fake.ts';

interface SpecOptions {
  vips?: string[];
  excluded?: string[];
  routes?: string[];
  priority?: number;
  vrid?: number;
  advertIntervalMs?: number;
  script?: boolean;
  notify?: string;
  garpRepeat?: number;
  syncGroup?: boolean;
  realServers?: string[];
  lvsMethod?: 'NAT' | 'DR';
  trackFileInit?: string;
}

const RS_PORT = 8080;

function spec(o: SpecOptions = {}): ClusterSpecInput {
  return {
    version: 1,
    directors: { lb1: {}, lb2: {} },
    ...(o.script ? { vrrpScripts: { chk: { script: '/usr/local/bin/chk', intervalMs: 1000, weight: -20 } } } : {}),
    ...(o.trackFileInit ? { trackFiles: { tf: { file: o.trackFileInit, weight: 0, initFile: { value: 0, overwrite: false } } } } : {}),
    vrrpInstances: {
      VI_1: {
        interface: 'eth0', virtualRouterId: o.vrid ?? 51, version: 3, advertIntervalMs: o.advertIntervalMs ?? 100,
        virtualIpAddresses: o.vips ?? ['192.0.2.100/24'],
        ...(o.excluded ? { virtualIpAddressesExcluded: o.excluded } : {}),
        ...(o.routes ? { virtualRoutes: o.routes.map((to) => ({ to })) } : {}),
        ...(o.notify ? { notify: { master: o.notify } } : {}),
        ...(o.garpRepeat ? { garp: { masterRepeat: o.garpRepeat } } : {}),
        ...(o.script ? { trackScripts: [{ name: 'chk' }] } : {}),
        ...(o.trackFileInit ? { trackFiles: [{ name: 'tf' }] } : {}),
        directors: { lb1: { priority: o.priority ?? 150 }, lb2: { priority: 100 } },
      },
      VI_2: {
        interface: 'eth0', virtualRouterId: 52, version: 3, advertIntervalMs: 100, virtualIpAddresses: ['192.0.2.110/24'],
        directors: { lb1: { priority: 150 }, lb2: { priority: 100 } },
      },
    },
    ...(o.syncGroup ? { syncGroups: { VG: { group: ['VI_1', 'VI_2'] } } } : {}),
    ...(o.realServers ? {
      virtualServers: [{
        address: '192.0.2.100', port: 80, protocol: 'TCP', scheduler: 'wrr', method: o.lvsMethod ?? 'NAT', quorum: 0,
        realServers: o.realServers.map((address) => ({ address, port: RS_PORT, weight: 1, checkers: [{ type: 'TCP_CHECK', delayLoopMs: 1000, connectTimeoutMs: 500, retry: 0, warmupMs: 0 }] })),
      }],
    } : {}),
  } as ClusterSpecInput;
}

const resolved = (director: string, o?: SpecOptions) => resolveDirectorConfig(ClusterSpec.parse(spec(o)), director);

interface Director {
  name: string;
  host: FakeHost;
  os: FakeDirectorOs;
  dh: DirectorHost;
  events: Array<AgentEvent | LbEvent>;
  logs: string[];
  transitions: () => AgentEvent[];
}

const dirs: string[] = [];
const open: DirectorHost[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close().catch(() => undefined);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function world() {
  const clock = new FakeClock(1000);
  const seg = new FakeSegment();
  const flush = () => new Promise<void>((r) => setImmediate(r));
  const run = async (ms: number, each?: () => void | Promise<void>) => {
    for (let t = 0; t < ms; t += 5) {
      clock.advance(5);
      for (let i = 0; i < 3; i++) await flush();
      await each?.();
    }
  };
  const make = async (name: string, ip: string, extra: Pick<HostOptions, 'onEventAhead'> = {}): Promise<Director> => {
    const host = new FakeHost(name, { clock });
    host.attach(seg, { ifname: 'eth0', ipv4: `${ip}/24` });
    const os = fakeDirectorOs(host, clock);
    const events: Array<AgentEvent | LbEvent> = [];
    const logs: string[] = [];
    const stateDir = mkdtempSync(join(tmpdir(), `vigil-host-${name}-`));
    dirs.push(stateDir);
    const dh = await DirectorHost.open(os.ports, { stateDir, log: (level, m) => logs.push(`${level}: ${m}`), onEvent: (e) => events.push(e), ...extra });
    open.push(dh);
    return { name, host, os, dh, events, logs, transitions: () => events.filter((e): e is AgentEvent => e.kind === 'vrrp.transition') };
  };
  const holds = async (d: Director, vip: string) => {
    const r = await d.host.addresses.list('eth0');
    return r.ok && r.value.some((a) => a.address === vip);
  };
  /** lb1 master, lb2 backup, both on `o`. */
  const pair = async (o?: SpecOptions) => {
    const a = await make('lb1', '192.0.2.1');
    const b = await make('lb2', '192.0.2.2');
    expect((await a.dh.apply(resolved('lb1', o))).ok).toBe(true);
    expect((await b.dh.apply(resolved('lb2', o))).ok).toBe(true);
    await run(800);
    expect((await a.dh.status()).instances.map((i) => i.state)).toEqual(['MASTER', 'MASTER']);
    expect((await b.dh.status()).instances.map((i) => i.state)).toEqual(['BACKUP', 'BACKUP']);
    return { a, b };
  };
  /** Applies `o` on both (lb2 first, as a rollout does), watching that `vip` never leaves lb1. */
  const reloadBoth = async (a: Director, b: Director, o: SpecOptions, watch = '192.0.2.100') => {
    const before = [a.transitions().length, b.transitions().length];
    const ra = b.dh.apply(resolved('lb2', o));
    const rb = a.dh.apply(resolved('lb1', o));
    const [r2, r1] = await Promise.all([ra, rb]);
    let gone = 0;
    await run(1000, async () => {
      if (!(await holds(a, watch))) gone++;
    });
    return { r1, r2, gone, newTransitions: [a.transitions().length - before[0]!, b.transitions().length - before[1]!] };
  };
  return { clock, seg, run, make, holds, pair, reloadBoth };
}

const states = async (d: Director) => (await d.dh.status()).instances.map((i) => `${i.name}:${i.state}:${i.priority}`);

describe('reload on the whole director (fakes): changes in place, no transition', () => {
  it('adding a VIP: the new one appears on the master only, the old one never leaves, nobody transitions', async () => {
    const w = world();
    const { a, b } = await w.pair();
    const { r1, r2, gone, newTransitions } = await w.reloadBoth(a, b, { vips: ['192.0.2.100/24', '192.0.2.101/24'] });
    expect(r1.ok && r1.report.instances).toEqual([
      { name: 'VI_1', action: 'changed', changes: ['virtual_ipaddress +192.0.2.101/24'] },
      { name: 'VI_2', action: 'unchanged' },
    ]);
    expect(r2.ok && r2.report.summary).toEqual(['VI_1: changed in place (virtual_ipaddress +192.0.2.101/24)']);
    expect(gone).toBe(0);
    expect(newTransitions).toEqual([0, 0]);
    expect(a.os.addressLog.filter((x) => x.address === '192.0.2.100' && x.op !== 'garp').map((x) => x.op)).toEqual(['add']);
    expect(await w.holds(a, '192.0.2.101')).toBe(true);
    expect(await w.holds(b, '192.0.2.101')).toBe(false);
    // The new VIP is announced (GARP) by the master.
    expect(w.seg.announcements.filter((x) => x.ip === '192.0.2.101').map((x) => x.from)).toContain('lb1');
    expect(a.logs.some((l) => l.includes('reloaded: VI_1: changed in place (virtual_ipaddress +192.0.2.101/24)'))).toBe(true);
  });

  it('removing a VIP: it leaves the master, the other stays, nobody transitions', async () => {
    const w = world();
    const { a, b } = await w.pair({ vips: ['192.0.2.100/24', '192.0.2.101/24'] });
    const { gone, newTransitions } = await w.reloadBoth(a, b, { vips: ['192.0.2.100/24'] });
    expect(gone).toBe(0);
    expect(newTransitions).toEqual([0, 0]);
    expect(await w.holds(a, '192.0.2.101')).toBe(false);
    expect(await w.holds(a, '192.0.2.100')).toBe(true);
  });

  it('a peer not reloaded yet keeps its master: adverts with the previous VIP list are still accepted', async () => {
    const w = world();
    const { a, b } = await w.pair();
    // Only the backup learns the new list; the master keeps advertising the old one.
    expect((await b.dh.apply(resolved('lb2', { vips: ['192.0.2.100/24', '192.0.2.101/24'] }))).ok).toBe(true);
    await w.run(2000);
    expect(await states(b)).toEqual(['VI_1:BACKUP:100', 'VI_2:BACKUP:100']);
    expect(b.transitions().filter((e) => e.to === 'master')).toEqual([]);
    expect(await w.holds(b, '192.0.2.100')).toBe(false);
    void a;
  });

  it('changing the priority: no transition, the master advertises the new one', async () => {
    const w = world();
    const { a, b } = await w.pair();
    const { r1, gone, newTransitions } = await w.reloadBoth(a, b, { priority: 140 });
    expect(r1.ok && r1.report.instances[0]).toEqual({ name: 'VI_1', action: 'changed', changes: ['priority 150 -> 140'] });
    expect(gone).toBe(0);
    expect(newTransitions).toEqual([0, 0]);
    expect(await states(a)).toEqual(['VI_1:MASTER:140', 'VI_2:MASTER:150']);
    expect((await b.dh.status()).instances[0]!.masterSeen).toEqual({ address: '192.0.2.1', priority: 140 });
  });

  it('a transition is handed over ahead (before the kernel confirms its VIPs) and completed with the confirmation, never also as a plain event', async () => {
    const w = world();
    const ahead: Array<{ e: AgentEvent; completed?: AgentEvent }> = [];
    const a = await w.make('lb1', '192.0.2.1', {
      onEventAhead: (e) => {
        const rec: (typeof ahead)[number] = { e };
        ahead.push(rec);
        return (done) => { rec.completed = done; };
      },
    });
    expect((await a.dh.apply(resolved('lb1'))).ok).toBe(true);
    await w.run(1500);
    const takeover = ahead.find((r) => r.e.kind === 'vrrp.transition' && r.e.to === 'master' && r.e.instance === 'VI_1');
    expect(takeover).toBeDefined();
    // Ahead: what is known at the decision, the kernel's moments not yet.
    expect(takeover!.e).toMatchObject({ from: 'backup', to: 'master', vipsAt: null, announcedAt: null });
    // Completed: the same transition with the moment the kernel confirmed the VIPs.
    expect(takeover!.completed).toMatchObject({ instance: 'VI_1', from: 'backup', to: 'master', at: takeover!.e.at });
    expect(typeof (takeover!.completed as { vipsAt: unknown }).vipsAt).toBe('string');
    expect(ahead.every((r) => r.completed !== undefined)).toBe(true);
    // Not a second time through onEvent.
    expect(a.transitions()).toEqual([]);
  });

  it('lowering the priority below the backup\'s: a handover, as configured (preempt)', async () => {
    const w = world();
    const { a, b } = await w.pair();
    await w.reloadBoth(a, b, { priority: 90 });
    expect(await states(b)).toEqual(['VI_1:MASTER:100', 'VI_2:BACKUP:100']);
    expect(b.transitions().at(-1)).toMatchObject({ instance: 'VI_1', from: 'backup', to: 'master', reason: 'preempt' });
  });

  it('adding a track_script: no transition; the tracker starts and its weight applies when it fails', async () => {
    const w = world();
    const { a, b } = await w.pair();
    const { r1, gone, newTransitions } = await w.reloadBoth(a, b, { script: true });
    expect(r1.ok && r1.report.instances[0]).toEqual({ name: 'VI_1', action: 'changed', changes: ['track_script +chk weight -20'] });
    expect(r1.ok && r1.report.trackers).toEqual({ restarted: [], added: ['script:chk'], removed: [] });
    expect(gone).toBe(0);
    expect(newTransitions).toEqual([0, 0]);
    expect((await a.dh.status()).instances[0]!.tracked).toEqual([{ name: 'script:chk', up: true, weight: -20 }]);
    a.os.scriptCode.set('/usr/local/bin/chk', 1);
    await w.run(1500);
    expect(await states(a)).toEqual(['VI_1:MASTER:130', 'VI_2:MASTER:150']);
  });

  it('a tracker whose definition is unchanged keeps its state across a reload (a failed script stays failed)', async () => {
    const w = world();
    const { a } = await w.pair({ script: true });
    a.os.scriptCode.set('/usr/local/bin/chk', 1);
    await w.run(1200);
    expect(await states(a)).toEqual(['VI_1:MASTER:130', 'VI_2:MASTER:150']);
    const r = await a.dh.apply(resolved('lb1', { script: true, vips: ['192.0.2.100/24', '192.0.2.101/24'] }));
    expect(r.ok && r.report.trackers).toEqual({ restarted: [], added: [], removed: [] });
    await w.run(50);
    expect(await states(a)).toEqual(['VI_1:MASTER:130', 'VI_2:MASTER:150']);
  });

  it('excluded VIPs and virtual routes change in place on the master', async () => {
    const w = world();
    const { a, b } = await w.pair({ routes: ['198.51.100.0/24'] });
    expect([...a.os.routes.routes.values()].map((r) => r.to)).toEqual(['198.51.100.0/24']);
    const { gone, newTransitions } = await w.reloadBoth(a, b, { excluded: ['203.0.113.9/32'], routes: ['203.0.113.0/24'] });
    expect(gone).toBe(0);
    expect(newTransitions).toEqual([0, 0]);
    expect(await w.holds(a, '203.0.113.9')).toBe(true);
    expect([...a.os.routes.routes.values()].map((r) => r.to)).toEqual(['203.0.113.0/24']);
    expect(b.os.routes.routes.size).toBe(0);
  });

  it('notify hooks and GARP settings change in place and take effect at the next transition', async () => {
    const w = world();
    const { a, b } = await w.pair();
    const { newTransitions } = await w.reloadBoth(a, b, { notify: '/usr/local/bin/became-master', garpRepeat: 2 });
    expect(newTransitions).toEqual([0, 0]);
    const announced = w.seg.announcements.length;
    await a.dh.close();
    await w.run(300);
    expect(b.os.hookCalls).toContain('/usr/local/bin/became-master');
    // garp_master_repeat 2: two announcements per VIP of VI_1 on the takeover.
    expect(w.seg.announcements.slice(announced).filter((x) => x.ip === '192.0.2.100' && x.from === 'lb2')).toHaveLength(2);
  });

  it('an advert interval change applies in place (the peers switch at one instant in managed mode)', async () => {
    const w = world();
    const { a, b } = await w.pair();
    const { newTransitions } = await w.reloadBoth(a, b, { advertIntervalMs: 200 });
    expect(newTransitions).toEqual([0, 0]);
    const sock = a.host.vrrpSockets.opened[0]!;
    const job = [...sock.pacing.values()].find((j) => j.periodMs === 200);
    expect(job).toBeDefined();
  });
});

describe('reload on the whole director (fakes): restarts', () => {
  it('a VRID change restarts the instance gracefully: priority 0 first, then the new router elects', async () => {
    const w = world();
    const { a, b } = await w.pair();
    const sock = a.host.vrrpSockets.opened[0]!;
    const sent = sock.sent.length;
    const { r1 } = await w.reloadBoth(a, b, { vrid: 61 });
    expect(r1.ok && r1.report.instances[0]).toEqual({ name: 'VI_1', action: 'restarted', why: ['virtual_router_id 51 -> 61'] });
    const zero = sock.sent.slice(sent).find((p) => p.payload[1] === 51 && p.payload[2] === 0);
    expect(zero).toBeDefined();
    const left = a.transitions().find((e) => e.instance === 'VI_1' && e.from === 'master' && e.to === 'stopped')!;
    expect(left.reason).toBe('reload');
    const back = a.transitions().filter((e) => e.instance === 'VI_1' && e.to === 'master').at(-1)!;
    expect(back.incarnation).not.toBe(left.incarnation);
    expect(await states(a)).toEqual(['VI_1:MASTER:150', 'VI_2:MASTER:150']);
    expect(a.logs.some((l) => l.includes('VI_1: restarted (virtual_router_id 51 -> 61)'))).toBe(true);
  });
});

describe('reload on the whole director (fakes): restarts on a socket of their own', () => {
  it('the restarted instance keeps its (pooled) socket when it was the last one on it', async () => {
    const w = world();
    const { a } = await w.pair();
    const next = resolved('lb1', { vrid: 61 });
    delete (next.instances as Record<string, unknown>).VI_2;
    const r = await a.dh.apply(next);
    expect(r.ok && r.report.instances).toEqual([{ name: 'VI_2', action: 'removed' }, { name: 'VI_1', action: 'restarted', why: ['virtual_router_id 51 -> 61'] }]);
    await w.run(1000);
    expect(await states(a)).toEqual(['VI_1:MASTER:150']);
    expect(a.logs.filter((l) => l.startsWith('error'))).toEqual([]);
  });
});

describe('transition events carry what outage accounting needs', () => {
  it('a takeover: the kernel confirmation of the VIPs, the first announcement, the incarnation and the VIPs', async () => {
    const w = world();
    const { a, b } = await w.pair();
    await a.dh.close();
    await w.run(400);
    const left = a.transitions().find((e) => e.instance === 'VI_1' && e.from === 'master')!;
    expect(left).toMatchObject({ to: 'stopped', reason: 'shutdown', vips: ['192.0.2.100/24'] });
    expect(left.vipsAt).not.toBeNull();
    const took = b.transitions().find((e) => e.instance === 'VI_1' && e.to === 'master')!;
    expect(took).toMatchObject({ from: 'backup', reason: 'priority_zero_received', vips: ['192.0.2.100/24'], masterAddress: null });
    expect(took.vipsAt).not.toBeNull();
    expect(took.announcedAt).not.toBeNull();
    expect(Date.parse(took.announcedAt!)).toBeGreaterThanOrEqual(Date.parse(took.vipsAt!));
    expect(took.incarnation).toMatch(/-\d+$/);
  });
});

describe('sync groups take over as one', () => {
  it('every member\'s VIP is added before the first announcement, and the bursts interleave', async () => {
    const w = world();
    const { a, b } = await w.pair({ syncGroup: true });
    const from = b.os.addressLog.length;
    b.os.kernelTurns = 3; // each VIP request takes a few event-loop turns, as over netlink
    await a.dh.close();
    await w.run(400);
    const kernel = b.os.addressLog.slice(from).map((x) => `${x.op} ${x.address}`);
    expect(kernel.slice(0, 6)).toEqual(['add 192.0.2.100', 'add 192.0.2.110', 'garp 192.0.2.100', 'garp 192.0.2.110', 'garp 192.0.2.100', 'garp 192.0.2.110']);
    const took = b.transitions().filter((e) => e.to === 'master');
    expect(took.map((e) => [e.instance, e.syncGroup])).toEqual([['VI_1', 'VG'], ['VI_2', 'VG']]);
    expect(took[0]!.announcedAt).toBe(took[1]!.announcedAt);
  });
});

describe('load balancer across reloads (fakes)', () => {
  const lastWeights = (d: Director) => d.os.tables.at(-1)!.services[0]!.destinations.map((x) => `${x.address}:${x.weight}`);

  it('a VRRP-only change keeps a DOWN real server down and every checker running with its state', async () => {
    const w = world();
    const { a } = await w.pair({ realServers: ['10.0.0.1', '10.0.0.2'] });
    a.os.down.add(`10.0.0.2:${RS_PORT}`);
    await w.run(1500);
    expect(lastWeights(a)).toEqual(['10.0.0.1:1']);
    const stats = await a.dh.loadBalancer!.checkStats();
    const r = await a.dh.apply(resolved('lb1', { realServers: ['10.0.0.1', '10.0.0.2'], vips: ['192.0.2.100/24', '192.0.2.101/24'] }));
    expect(r.ok && r.report.loadBalancer).toBe('unchanged');
    await w.run(20);
    expect(lastWeights(a)).toEqual(['10.0.0.1:1']);
    expect((await a.dh.status()).loadBalancer!.realServers.map((x) => `${x.address}:${x.up}`)).toEqual(['10.0.0.1:true', '10.0.0.2:false']);
    const after = await a.dh.loadBalancer!.checkStats();
    expect(after.attempts).toBeGreaterThanOrEqual(stats.attempts);
  });

  it('a load-balancer change migrates checkers by identity: the DOWN one stays down, its counters go on', async () => {
    const w = world();
    const { a } = await w.pair({ realServers: ['10.0.0.1', '10.0.0.2'] });
    a.os.down.add(`10.0.0.2:${RS_PORT}`);
    await w.run(1500);
    const attempts = a.os.probes.length;
    const r = await a.dh.apply(resolved('lb1', { realServers: ['10.0.0.3', '10.0.0.2', '10.0.0.1'] }));
    expect(r.ok && r.report.loadBalancer).toBe('changed');
    await w.run(20);
    // 10.0.0.2 still down (no new attempt yet: its slot kept its schedule), 10.0.0.3 new and up.
    expect(lastWeights(a)).toEqual(['10.0.0.3:1', '10.0.0.1:1']);
    expect(a.os.probes.slice(attempts)).toEqual([`10.0.0.3:${RS_PORT}`]);
  });

  it('a drain stays with the drained real server when another is inserted before it', async () => {
    const w = world();
    const { a } = await w.pair({ realServers: ['10.0.0.1', '10.0.0.2'] });
    await a.dh.loadBalancer!.drain(`TCP 192.0.2.100:80 -> 10.0.0.2:${RS_PORT}`, true);
    expect(lastWeights(a)).toEqual(['10.0.0.1:1', '10.0.0.2:0']);
    await a.dh.apply(resolved('lb1', { realServers: ['10.0.0.0', '10.0.0.1', '10.0.0.2'] }));
    await w.run(20);
    expect(lastWeights(a)).toEqual(['10.0.0.0:1', '10.0.0.1:1', '10.0.0.2:0']);
    expect((await a.dh.status()).loadBalancer!.realServers.filter((x) => x.drained).map((x) => x.address)).toEqual(['10.0.0.2']);
  });
});

describe('a revision that fails preparation changes nothing (one per kind of failure)', () => {
  async function refused(w: ReturnType<typeof world>, a: Director, next: ResolvedDirectorConfig, why: RegExp) {
    const before = { states: await states(a), tables: a.os.tables.length, addresses: a.os.addressLog.length, vips: await w.holds(a, '192.0.2.100') };
    const r = await a.dh.apply(next);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(why);
    await w.run(300);
    expect(await states(a)).toEqual(before.states);
    expect(a.os.addressLog.length).toBe(before.addresses);
    expect(await w.holds(a, '192.0.2.100')).toBe(before.vips);
    const lastTable = a.os.tables.at(-1);
    return { before, lastTable };
  }

  it('a VRRP socket that cannot open (no such interface)', async () => {
    const w = world();
    const { a } = await w.pair();
    const bad = resolved('lb1', { vips: ['192.0.2.100/24', '192.0.2.101/24'] });
    bad.instances.VI_2!.interface = 'eth9';
    await refused(w, a, bad, /vrrp_instance VI_2: VRRP socket on eth9: interface eth9 does not exist.*nothing was changed/);
    expect(await w.holds(a, '192.0.2.101')).toBe(false);
  });

  it('an interface with no address to send adverts from', async () => {
    const w = world();
    const { a } = await w.pair();
    a.host.attach(new FakeSegment(), { ifname: 'eth1' });
    const bad = resolved('lb1');
    bad.instances.VI_2!.interface = 'eth1';
    await refused(w, a, bad, /VI_2: eth1 has no IPv4 address to send adverts from/);
  });

  it('a virtual server the data plane cannot program (nftables and DR), on a later revision', async () => {
    const w = world();
    const { a } = await w.pair({ realServers: ['10.0.0.1'] });
    const tables = a.os.tables.length;
    await refused(w, a, resolved('lb1', { realServers: ['10.0.0.1', '10.0.0.2'], lvsMethod: 'DR', vips: ['192.0.2.100/24', '192.0.2.101/24'] }), /DR/);
    expect(a.os.tables.slice(tables).every((t) => t.services[0]!.destinations.length === 1)).toBe(true);
    expect(await w.holds(a, '192.0.2.101')).toBe(false);
  });

  it('no data plane on this host (the first revision with virtual servers)', async () => {
    const w = world();
    const { a } = await w.pair();
    a.os.dataPlaneMissing = 'no load balancer data plane: the kernel has no IPVS (modprobe ip_vs) and nft does not work (install nftables)';
    await refused(w, a, resolved('lb1', { realServers: ['10.0.0.1'] }), /no load balancer data plane/);
    expect(a.dh.loadBalancer).toBeUndefined();
  });

  it('a script that is not there (track_script, notify)', async () => {
    const w = world();
    const { a } = await w.pair();
    a.os.missing.add('/usr/local/bin/chk');
    a.os.missing.add('/usr/local/bin/became-master');
    await refused(w, a, resolved('lb1', { script: true, notify: '/usr/local/bin/became-master' }),
      /vrrp_instance VI_1 notify_master "\/usr\/local\/bin\/became-master": .*vrrp_script chk "\/usr\/local\/bin\/chk": \/usr\/local\/bin\/chk is not an executable file/);
    expect((await a.dh.status()).instances[0]!.tracked).toEqual([]);
  });

  it('a track_file whose init_file cannot be created', async () => {
    const w = world();
    const { a } = await w.pair();
    await refused(w, a, resolved('lb1', { trackFileInit: '/nonexistent-dir-vigil/tf' }), /track_file tf: init_file \/nonexistent-dir-vigil\/tf cannot be created/);
  });

  it('several problems at once are all named', async () => {
    const w = world();
    const { a } = await w.pair();
    a.os.missing.add('/usr/local/bin/chk');
    const bad = resolved('lb1', { script: true });
    bad.instances.VI_2!.interface = 'eth9';
    await refused(w, a, bad, /vrrp_script chk.*; vrrp_instance VI_2: VRRP socket on eth9/);
  });
});
