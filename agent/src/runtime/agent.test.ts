/**
 * The runtime on the in-memory OS (fake segment, sockets, addresses, links, clock): two agents
 * elect, hand over on stop, follow tracking, keep untouched instances across a reload, and run
 * notify hooks in order. The same behaviours are proven on real sockets in test/net/agent-*.
 */
import { describe, expect, it } from 'vitest';
import { ClusterSpec, type ClusterSpecInput } from '../../../schema/src/spec/cluster.ts';
import { resolveDirectorConfig } from '../../../schema/src/spec/resolve.ts';
import { FakeClock, FakeHost, FakeSegment } from '../os/fake/index.ts';
import { Agent } from './agent.ts';
import { diffConfig } from './diff.ts';
import type { HookRunner } from './hooks.ts';
import { initialScriptState, scriptResult } from './script-state.ts';

const specInput = (over: { vip?: string; script?: boolean } = {}): ClusterSpecInput => ({
  version: 1,
  directors: { lb1: {}, lb2: {} },
  ...(over.script ? { vrrpScripts: { chk: { script: '/bin/chk', intervalMs: 1000, weight: -60 } } } : {}),
  vrrpInstances: {
    VI_1: {
      interface: 'eth0', virtualRouterId: 51, version: 3, advertIntervalMs: 100,
      virtualIpAddresses: [over.vip ?? '192.0.2.100/24'],
      notify: { any: '/bin/notify' },
      ...(over.script ? { trackScripts: [{ name: 'chk' }] } : {}),
      directors: { lb1: { priority: 150 }, lb2: { priority: 100 } },
    },
    VI_2: { interface: 'eth0', virtualRouterId: 52, version: 3, advertIntervalMs: 100, virtualIpAddresses: ['192.0.2.101/24'], directors: { lb1: { priority: 150 }, lb2: { priority: 100 } } },
  },
});
/** Moves the fake clock `ms` forward in 5 ms steps, letting sockets and timers run between them. */
async function runClock(clock: FakeClock, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 5) {
    clock.advance(5);
    await new Promise<void>((r) => setImmediate(r));
  }
}

const resolved = (director: string, over?: Parameters<typeof specInput>[0]) => resolveDirectorConfig(ClusterSpec.parse(specInput(over)), director);

function world(paced = false) {
  const clock = new FakeClock(1000);
  const seg = new FakeSegment();
  const hookCalls: string[] = [];
  const scriptOk: Record<string, boolean> = {};
  const make = (name: string, ip: string) => {
    scriptOk[name] = true;
    const hooks: HookRunner = {
      async run(command, args) {
        if (command === '/bin/chk') return { code: scriptOk[name] ? 0 : 1, timedOut: false };
        hookCalls.push(`${name}: ${command} ${args.join(' ')}`);
        return { code: 0, timedOut: false };
      },
    };
    const host = new FakeHost(name, paced ? { clock } : {});
    host.attach(seg, { ifname: 'eth0', ipv4: `${ip}/24` });
    const agent = new Agent({ sockets: host.vrrpSockets, addresses: host.addresses, announcer: host.announcer, links: host.links, clock, hooks, log: () => {} });
    return { host, agent };
  };
  const run = (ms: number) => runClock(clock, ms);
  const holds = async (host: FakeHost, vip: string) => {
    const r = await host.addresses.list('eth0');
    return r.ok && r.value.some((a) => a.address === vip);
  };
  return { clock, seg, make, run, holds, hookCalls, setScript: (name: string, ok: boolean) => (scriptOk[name] = ok) };
}

describe.each([false, true])('Agent on the in-memory OS (advert pacer: %s)', (paced) => {
  it('two agents elect the higher priority; a graceful stop hands over within Skew_Time', async () => {
    const w = world(paced);
    const a = w.make('lb1', '192.0.2.1');
    const b = w.make('lb2', '192.0.2.2');
    await a.agent.start(resolved('lb1'));
    await b.agent.start(resolved('lb2'));
    await w.run(600);
    expect(a.agent.status().instances.map((i) => i.state)).toEqual(['MASTER', 'MASTER']);
    expect(b.agent.status().instances.map((i) => i.state)).toEqual(['BACKUP', 'BACKUP']);
    expect(await w.holds(a.host, '192.0.2.100')).toBe(true);
    expect(await w.holds(b.host, '192.0.2.100')).toBe(false);
    expect(b.agent.status().instances[0]!.masterSeen).toEqual({ address: '192.0.2.1', priority: 150 });
    const stopping = a.agent.stop();
    await w.run(100); // Skew_Time for priority 100 at 100 ms is 60 ms
    await stopping;
    expect(b.agent.status().instances[0]!.state).toBe('MASTER');
    expect(await w.holds(a.host, '192.0.2.100')).toBe(false);
    expect(await w.holds(b.host, '192.0.2.100')).toBe(true);
  });

  it('a failing tracked script lowers the priority and the peer preempts; notify hooks run in order', async () => {
    const w = world(paced);
    const a = w.make('lb1', '192.0.2.1');
    const b = w.make('lb2', '192.0.2.2');
    await a.agent.start(resolved('lb1', { script: true }));
    await b.agent.start(resolved('lb2', { script: true }));
    await w.run(600);
    expect(a.agent.status().instances[0]!.state).toBe('MASTER');
    w.setScript('lb1', false);
    await w.run(1500);
    expect(a.agent.status().instances[0]).toMatchObject({ state: 'BACKUP', priority: 90 });
    expect(b.agent.status().instances[0]!.state).toBe('MASTER');
    // keepalived's `notify` arguments, in transition order (the priority is the effective one).
    expect(w.hookCalls.filter((c) => c.startsWith('lb1: /bin/notify INSTANCE VI_1'))).toEqual([
      'lb1: /bin/notify INSTANCE VI_1 BACKUP 150', 'lb1: /bin/notify INSTANCE VI_1 MASTER 150', 'lb1: /bin/notify INSTANCE VI_1 BACKUP 90',
    ]);
  });

  it('reload keeps an unchanged instance untouched and changes a VIP in place (no transition)', async () => {
    const w = world(paced);
    const a = w.make('lb1', '192.0.2.1');
    await a.agent.start(resolved('lb1'));
    await w.run(600);
    const before = a.agent.status().instances.map((i) => i.counters.transitions);
    const d = await a.agent.reload(resolved('lb1', { vip: '192.0.2.150/24' }));
    expect(d.instances).toEqual([
      { name: 'VI_1', action: 'changed', changes: ['virtual_ipaddress +192.0.2.150/24 -192.0.2.100/24'] },
      { name: 'VI_2', action: 'unchanged' },
    ]);
    await w.run(600);
    expect(a.agent.status().instances.map((i) => i.state)).toEqual(['MASTER', 'MASTER']);
    expect(a.agent.status().instances.map((i) => i.counters.transitions)).toEqual(before);
    expect(await w.holds(a.host, '192.0.2.100')).toBe(false);
    expect(await w.holds(a.host, '192.0.2.150')).toBe(true);
    expect(await w.holds(a.host, '192.0.2.101')).toBe(true);
  });
});

describe('unicast peers on the in-memory OS: the TTL a peer sends with decides whether its adverts count (vrrp/RECEIVE.md)', () => {
  const unicastSpec = (peer: { minTtl?: number; maxTtl?: number }, unicastTtl?: number) => ClusterSpec.parse({
    version: 1,
    directors: { lb1: { unicastSrcIp: '192.0.2.1' }, lb2: { unicastSrcIp: '192.0.2.2' } },
    vrrpInstances: {
      VI_1: {
        interface: 'eth0', virtualRouterId: 51, version: 3, advertIntervalMs: 100, virtualIpAddresses: ['192.0.2.100/24'],
        unicastPeers: [{ address: '192.0.2.1', ...peer }, { address: '192.0.2.2', ...peer }],
        ...(unicastTtl !== undefined ? { unicastTtl } : {}),
        directors: { lb1: { priority: 150 }, lb2: { priority: 100 } },
      },
    },
  } satisfies ClusterSpecInput);

  async function elect(spec: ClusterSpec) {
    const w = world();
    const a = w.make('lb1', '192.0.2.1');
    const b = w.make('lb2', '192.0.2.2');
    await a.agent.start(resolveDirectorConfig(spec, 'lb1'));
    await b.agent.start(resolveDirectorConfig(spec, 'lb2'));
    await w.run(800);
    return { w, a: a.agent.status().instances[0]!, b: b.agent.status().instances[0]!, sent: a.host.vrrpSockets.opened.flatMap((s) => s.sent) };
  }

  it('unicast_ttl 64 with peers allowing 60..64: adverts leave with TTL 64 and one router is master', async () => {
    const { a, b, sent } = await elect(unicastSpec({ minTtl: 60, maxTtl: 64 }, 64));
    expect(sent.length).toBeGreaterThan(3);
    expect(new Set(sent.map((p) => p.ttl))).toEqual(new Set([64]));
    expect([a.state, b.state]).toEqual(['MASTER', 'BACKUP']);
    expect((b.counters.drops as Record<string, number>).ttl).toBe(0);
  });

  it('unicast_ttl 64 with peers that allow only 255 (what `vigil check` refuses): every advert is dropped as ttl, both become master', async () => {
    const { a, b } = await elect(unicastSpec({}, 64));
    expect([a.state, b.state]).toEqual(['MASTER', 'MASTER']);
    expect((b.counters.drops as Record<string, number>).ttl).toBeGreaterThan(3);
    expect(b.counters.advertsRx).toBe(0);
  });

  it('no unicast_ttl: adverts leave with 255 and are accepted', async () => {
    const { a, b, sent } = await elect(unicastSpec({}));
    expect(new Set(sent.map((p) => p.ttl))).toEqual(new Set([255]));
    expect([a.state, b.state]).toEqual(['MASTER', 'BACKUP']);
  });
});

describe('reload preflight', () => {
  it('a reload whose instance cannot run (no such interface) changes nothing and says why', async () => {
    const w = world();
    const a = w.make('lb1', '192.0.2.1');
    await a.agent.start(resolved('lb1'));
    await w.run(600);
    const bad = resolved('lb1', { vip: '192.0.2.150/24' });
    (bad.instances.VI_1 as { interface: string | undefined }).interface = 'eth9';
    await expect(a.agent.reload(bad)).rejects.toThrow(/eth9.*nothing was changed/);
    await w.run(300);
    expect(a.agent.status().instances.map((i) => i.state)).toEqual(['MASTER', 'MASTER']);
    expect(await w.holds(a.host, '192.0.2.100')).toBe(true);
    expect(await w.holds(a.host, '192.0.2.150')).toBe(false);
    await a.agent.stop();
  });
});

describe('advert pacer', () => {
  it("a steady master's periodic adverts are all the pacer's, on the exact schedule; leaving stops it", async () => {
    const w = world(true);
    const a = w.make('lb1', '192.0.2.1');
    const b = w.make('lb2', '192.0.2.2');
    await a.agent.start(resolved('lb1'));
    await b.agent.start(resolved('lb2'));
    await w.run(600);
    const sock = a.host.vrrpSockets.opened[0]!;
    expect(sock.pacing.size).toBe(2); // VI_1 and VI_2 to 224.0.0.18
    const from = sock.sent.length;
    await w.run(1000);
    const steady = sock.sent.slice(from);
    // 100 ms adverts for two instances over one second, none sent by the JS timer path.
    expect(steady.length).toBeGreaterThanOrEqual(19);
    expect(steady.every((p) => p.paced)).toBe(true);
    expect(b.agent.status().instances.map((i) => i.state)).toEqual(['BACKUP', 'BACKUP']);
    expect(a.agent.status().instances[0]!.counters.advertsTx).toBeGreaterThan(10);
    const stopping = a.agent.stop();
    await w.run(100);
    await stopping;
    expect(sock.pacing.size).toBe(0);
    // The last advert lb1 sent is the priority-0 one, from JS (RFC 5798 §6.4.3 shutdown).
    const last = sock.sent.filter((p) => p.payload[1] === 51).at(-1)!;
    expect(last.paced).toBeUndefined();
    expect(last.payload[2]).toBe(0);
    expect(b.agent.status().instances[0]!.state).toBe('MASTER');
  });

  it('a priority change while master re-arms the pacer with the new bytes', async () => {
    const w = world(true);
    const a = w.make('lb1', '192.0.2.1');
    await a.agent.start(resolved('lb1', { script: true }));
    await w.run(600);
    const sock = a.host.vrrpSockets.opened[0]!;
    w.setScript('lb1', false);
    await w.run(1500);
    const vi1 = sock.sent.filter((p) => p.payload[1] === 51);
    expect(vi1.at(-1)!.payload[2]).toBe(90);
    expect(vi1.at(-1)!.paced).toBe(true);
    await a.agent.stop();
  });
});

describe('diffConfig', () => {
  it('classifies unchanged, changed, added and removed instances', () => {
    const a = resolved('lb1');
    const b = structuredClone(a);
    delete (b.instances as Record<string, unknown>).VI_2;
    expect(diffConfig(a, b).instances).toEqual([{ name: 'VI_2', action: 'removed' }, { name: 'VI_1', action: 'unchanged' }]);
    expect(diffConfig(b, a).instances).toEqual([{ name: 'VI_1', action: 'unchanged' }, { name: 'VI_2', action: 'added' }]);
    expect(diffConfig(a, resolved('lb1', { vip: '192.0.2.9/24' })).instances[0]).toEqual({ name: 'VI_1', action: 'changed', changes: ['virtual_ipaddress +192.0.2.9/24 -192.0.2.100/24'] });
  });

  it('VRID, interface, version and family restart the instance; the rest changes in place', () => {
    const a = resolved('lb1');
    const b = structuredClone(a);
    b.instances.VI_1!.virtualRouterId = 61;
    b.instances.VI_1!.priority = 140;
    b.instances.VI_2!.priority = 140;
    expect(diffConfig(a, b).instances).toEqual([
      { name: 'VI_1', action: 'restarted', why: ['virtual_router_id 51 -> 61'] },
      { name: 'VI_2', action: 'changed', changes: ['priority 150 -> 140'] },
    ]);
  });

  it('a field of the resolved instance the report table does not name is still a change (under its own name)', () => {
    const a = resolved('lb1');
    const b = structuredClone(a);
    (b.instances.VI_1 as unknown as Record<string, unknown>).someLaterField = 7;
    b.instances.VI_2!.skipCheckAdvAddr = true;
    b.instances.VI_1!.peerDirectors = ['lb2', 'lb3']; // another director joined: nothing to do here
    expect(diffConfig(a, b).instances).toEqual([
      { name: 'VI_1', action: 'changed', changes: ['someLaterField - -> 7'] },
      { name: 'VI_2', action: 'changed', changes: ['skip_check_adv_addr false -> true'] },
    ]);
  });

  it('a tracked script whose definition changed is restarted; the instances using it change in place', () => {
    const a = resolved('lb1', { script: true });
    const b = structuredClone(a);
    b.vrrpScripts.chk!.intervalMs = 2000;
    const d = diffConfig(a, b);
    expect(d.instances[0]).toEqual({ name: 'VI_1', action: 'changed', changes: ['script:chk definition changed'] });
    expect(d.trackers).toEqual({ restarted: ['script:chk'], added: [], removed: [] });
  });
});

describe('scriptResult (keepalived rise/fall)', () => {
  it('needs `fall` consecutive failures to fail and `rise` successes to recover', () => {
    let s = initialScriptState();
    s = scriptResult(s, false, 2, 3);
    s = scriptResult(s, false, 2, 3);
    expect(s.up).toBe(true);
    s = scriptResult(s, true, 2, 3); // a success resets the streak
    s = scriptResult(s, false, 2, 3);
    s = scriptResult(s, false, 2, 3);
    s = scriptResult(s, false, 2, 3);
    expect(s.up).toBe(false);
    s = scriptResult(s, true, 2, 3);
    expect(s.up).toBe(false);
    s = scriptResult(s, true, 2, 3);
    expect(s.up).toBe(true);
  });
});

describe('split brain heals for the hosts on every segment of a sync group', () => {
  // LVS-NAT: the outside VIP and the inside gateway in one group, on two segments.
  const groupSpec = (): ClusterSpecInput => ({
    version: 1,
    directors: { lb1: {}, lb2: {} },
    syncGroups: { VG: { group: ['VI_OUT', 'VI_IN'] } },
    vrrpInstances: {
      VI_OUT: { interface: 'eth0', virtualRouterId: 11, version: 3, advertIntervalMs: 100, virtualIpAddresses: ['192.0.2.100/24'], higherPrioSendAdvert: true, directors: { lb1: { priority: 150 }, lb2: { priority: 100 } } },
      VI_IN: { interface: 'eth1', virtualRouterId: 12, version: 3, advertIntervalMs: 100, virtualIpAddresses: ['198.51.100.1/24'], higherPrioSendAdvert: true, directors: { lb1: { priority: 150 }, lb2: { priority: 100 } } },
    },
  });

  it('the winner re-announces the outside VIP when only the inside segment told it the loser was master', async () => {
    const clock = new FakeClock(1000);
    const outside = new FakeSegment('outside');
    const inside = new FakeSegment('inside');
    const hooks: HookRunner = { async run() { return { code: 0, timedOut: false }; } };
    const make = (name: string, n: number) => {
      const host = new FakeHost(name);
      host.attach(outside, { ifname: 'eth0', ipv4: `192.0.2.${n}/24` });
      host.attach(inside, { ifname: 'eth1', ipv4: `198.51.100.${10 + n}/24` });
      const agent = new Agent({ sockets: host.vrrpSockets, addresses: host.addresses, announcer: host.announcer, links: host.links, clock, hooks, log: () => {} });
      return { host, agent };
    };
    const run = (ms: number) => runClock(clock, ms);
    const a = make('lb1', 1);
    const b = make('lb2', 2);
    const spec = ClusterSpec.parse(groupSpec());
    await a.agent.start(resolveDirectorConfig(spec, 'lb1'));
    await b.agent.start(resolveDirectorConfig(spec, 'lb2'));
    await run(600);
    expect(a.agent.status().instances.map((i) => i.state)).toEqual(['MASTER', 'MASTER']);
    // Both segments split: lb2 takes both VIPs, and the outside clients follow its GARPs.
    outside.dropWhen(() => true);
    inside.dropWhen(() => true);
    await run(1000);
    expect(b.agent.status().instances.map((i) => i.state)).toEqual(['MASTER', 'MASTER']);
    // The inside heals first: lb2's VI_IN yields to lb1's and its VI_OUT follows the group; the
    // outside never carries an advert lb1's VI_OUT could hear as lower.
    const healedAt = outside.announcements.length;
    inside.dropWhen(() => false);
    await run(400);
    expect(b.agent.status().instances.map((i) => i.state)).toEqual(['BACKUP', 'BACKUP']);
    const outsideGarps = outside.announcements.slice(healedAt).filter((x) => x.from === 'lb1' && x.ip === '192.0.2.100');
    expect(outsideGarps.length).toBeGreaterThanOrEqual(5);
    outside.dropWhen(() => false);
    await run(300);
    expect(a.agent.status().instances.map((i) => i.state)).toEqual(['MASTER', 'MASTER']);
    await a.agent.stop();
    await b.agent.stop();
  });
});
