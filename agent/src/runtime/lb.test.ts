/**
 * The load-balancer runtime with an in-memory health source and data plane: quorum hooks with
 * hysteresis, notify_up/notify_down, ha_suspend following the held VIPs, drain, omega on stop,
 * and coalesced reconciles.
 */
import { describe, expect, it } from 'vitest';
import type { ClusterSpec, VirtualServer } from '#schema';
import type { RealServerHealth } from '../checks/engine.ts';
import type { VirtualServerTable } from '../lb/model.ts';
import type { HookRunner } from './hooks.ts';
import { HookQueue } from './hooks.ts';
import { LbRuntime, type HealthSource } from './lb.ts';

const vs = (over: Partial<VirtualServer> = {}): VirtualServer => ({
  address: '192.0.2.100', port: 80, protocol: 'TCP', scheduler: 'wrr', schedulerFlags: [], method: 'NAT', quorum: 2, hysteresis: 1,
  inhibitOnFailure: false, omega: true, haSuspend: true, quorumUp: '/bin/qup', quorumDown: '/bin/qdown',
  sorryServer: { address: '192.0.2.99', port: 80, inhibit: false },
  realServers: [1, 2, 3].map((i) => ({ address: `10.0.0.${i}`, port: 80, weight: 1, notifyUp: `/bin/up ${i}`, notifyDown: `/bin/down ${i}`, checkers: [{ type: 'TCP_CHECK' }] })),
  ...over,
} as VirtualServer);

function world(v: VirtualServer, gate: { wait?: Promise<void> } = {}) {
  const hooks: string[] = [];
  const runner: HookRunner = { async run(cmd, args) { hooks.push([cmd, ...args].join(' ')); return { code: 0, timedOut: false }; } };
  const applied: VirtualServerTable[] = [];
  const suspended = new Map<string, boolean>();
  let push: (h: RealServerHealth) => void = () => {};
  const health: HealthSource = {
    async start(_vs, _tf, onChange) { push = onChange; return []; },
    async update() { return []; },
    suspend(i, s) { suspended.set(i, s); },
    async stop() {},
    async stats() { return { checkers: 3, attempts: 0, failures: 0, inFlight: 0 }; },
  };
  const notify = new HookQueue(runner, () => {});
  const lb = new LbRuntime({
    dataPlane: { name: 'fake', controller: { lastTable: undefined, async apply(t) { applied.push(t); if (gate.wait) await gate.wait; return { ok: true, value: undefined }; } } },
    health, notify, log: () => {},
  });
  const config = { virtualServers: [v], virtualServerGroups: {} as ClusterSpec['virtualServerGroups'], trackFiles: {} };
  const settle = async () => { for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r)); await notify.drain(); };
  const set = (rs: number, up: boolean) => push({ rsKey: `TCP 192.0.2.100:80 -> 10.0.0.${rs + 1}:80`, up, weight: 1, reason: up ? '' : 'connect ECONNREFUSED' });
  const dests = () => applied.at(-1)!.services[0]!.destinations.map((d) => `${d.address}:${d.weight}`);
  return { lb, config, hooks, applied, suspended, settle, set, dests };
}

describe('LbRuntime', () => {
  it('notify_down/up per real server; quorum_down below quorum - hysteresis, quorum_up at quorum + hysteresis; sorry server meanwhile', async () => {
    const w = world(vs());
    await w.lb.start(w.config);
    expect(w.dests()).toEqual(['10.0.0.1:1', '10.0.0.2:1', '10.0.0.3:1']);
    w.set(0, false);
    await w.settle();
    expect(w.hooks).toEqual(['/bin/down 1']); // live weight 2 >= quorum 2 - hysteresis 1
    w.set(1, false);
    await w.settle();
    expect(w.hooks).toEqual(['/bin/down 1', '/bin/down 2']); // 1 >= 1: still up
    w.set(2, false);
    await w.settle();
    expect(w.hooks.slice(2)).toEqual(['/bin/down 3', '/bin/qdown']);
    expect(w.dests()).toEqual(['192.0.2.99:1']);
    w.set(0, true);
    w.set(1, true);
    await w.settle();
    expect(w.hooks.slice(4)).toEqual(['/bin/up 1', '/bin/up 2']); // 2 < quorum + hysteresis = 3
    expect(w.dests()).toEqual(['192.0.2.99:1']);
    w.set(2, true);
    await w.settle();
    expect(w.hooks.slice(6)).toEqual(['/bin/up 3', '/bin/qup']);
    expect(w.dests()).toEqual(['10.0.0.1:1', '10.0.0.2:1', '10.0.0.3:1']);
  });

  it('coalesces a burst of health changes into one reconcile', async () => {
    const w = world(vs({ quorum: 1, hysteresis: 0 }));
    await w.lb.start(w.config);
    const before = w.applied.length;
    w.set(0, false);
    w.set(1, false);
    await w.settle();
    expect(w.applied.length).toBe(before + 1);
  });

  it('changes made while a pass programs the data plane are one more pass, which sees them all', async () => {
    const gate: { wait?: Promise<void> } = {};
    const w = world(vs({ quorum: 1, hysteresis: 0 }), gate);
    await w.lb.start(w.config);
    const before = w.applied.length;
    let release!: () => void;
    gate.wait = new Promise((r) => { release = r; });
    w.set(0, false);
    await w.settle(); // the pass for rs1 is now waiting on the data plane (an `nft` run, say)
    expect(w.applied.length).toBe(before + 1);
    w.set(1, false);
    await w.settle();
    w.set(2, false);
    await w.settle();
    gate.wait = undefined;
    release();
    await w.settle();
    // Not one pass per change: the running one, then one that sees rs2 and rs3 down together.
    expect(w.applied.length).toBe(before + 2);
    expect(w.dests()).toEqual(['192.0.2.99:1']);
  });

  it('ha_suspend: checks run only while this director holds the virtual server address', async () => {
    const w = world(vs());
    await w.lb.start(w.config);
    expect(w.suspended.get('TCP 192.0.2.100:80')).toBe(true);
    w.lb.setHeldVips(['192.0.2.100']);
    expect(w.suspended.get('TCP 192.0.2.100:80')).toBe(false);
    w.lb.setHeldVips([]);
    expect(w.suspended.get('TCP 192.0.2.100:80')).toBe(true);
  });

  it('drain keeps the entry at weight 0 and undrain restores it', async () => {
    const w = world(vs());
    await w.lb.start(w.config);
    await w.lb.drain('TCP 192.0.2.100:80 -> 10.0.0.2:80', true);
    expect(w.dests()).toEqual(['10.0.0.1:1', '10.0.0.2:0', '10.0.0.3:1']);
    expect(w.lb.status()[1]).toMatchObject({ drained: true, weight: 0, up: true });
    await w.lb.drain('TCP 192.0.2.100:80 -> 10.0.0.2:80', false);
    expect(w.dests()).toEqual(['10.0.0.1:1', '10.0.0.2:1', '10.0.0.3:1']);
  });

  it('omega: on stop, notify_down for what was up and quorum_down; the data plane is emptied', async () => {
    const w = world(vs());
    await w.lb.start(w.config);
    w.set(2, false);
    await w.settle();
    w.hooks.length = 0;
    await w.lb.stop();
    await w.settle();
    expect(w.hooks).toEqual(['/bin/down 1', '/bin/down 2', '/bin/qdown']);
    expect(w.applied.at(-1)).toEqual({ services: [] });
  });
});
