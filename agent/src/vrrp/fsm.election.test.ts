/**
 * Several instances on a simulated LAN with a fake clock: adverts sent by one are delivered to
 * the others 1 ms later. These are the stories the audit log will tell (election, graceful
 * handover, crash, preemption, split brain), checked end to end through `step` alone.
 */
import { describe, expect, it } from 'vitest';
import { step } from './fsm.ts';
import { config } from './fsm.test-helpers.ts';
import { createInstance, nextDeadline, type InstanceConfig, type InstanceState, type TransitionReason, type VrrpEvent, type VrrpStateName } from './state.ts';

interface Node {
  s: InstanceState;
  alive: boolean;
  /** Link to the LAN; false simulates a partition. */
  linked: boolean;
}

interface Logged {
  at: number;
  name: string;
  from: VrrpStateName;
  to: VrrpStateName;
  reason: TransitionReason;
}

class Lan {
  now = 0;
  nodes = new Map<string, Node>();
  log: Logged[] = [];
  private queue: Array<{ at: number; name: string; event: VrrpEvent }> = [];

  add(name: string, over: Partial<InstanceConfig>): void {
    this.nodes.set(name, { s: createInstance(config({ name, ...over })), alive: true, linked: true });
  }

  apply(name: string, event: VrrpEvent): void {
    const n = this.nodes.get(name)!;
    if (!n.alive) return;
    const r = step(n.s, event, this.now);
    n.s = r.state;
    for (const e of r.effects) {
      if (e.type === 'transition') this.log.push({ at: this.now, name, from: e.from, to: e.to, reason: e.reason });
      if (e.type === 'sendAdvert' && n.linked) {
        for (const [other, o] of this.nodes) {
          if (other === name || !o.linked) continue;
          this.queue.push({
            at: this.now + 1,
            name: other,
            event: { type: 'advertReceived', advert: { priority: e.priority, advertIntervalMs: n.s.config.advertIntervalMs }, srcAddress: n.s.config.primaryAddress },
          });
        }
      }
    }
  }

  /** Crash: the process stops, no priority-0 advert, nothing else happens. */
  crash(name: string): void {
    this.nodes.get(name)!.alive = false;
  }

  restart(name: string): void {
    const n = this.nodes.get(name)!;
    n.alive = true;
    n.s = createInstance(n.s.config);
    this.apply(name, { type: 'startup' });
  }

  runUntil(t: number): void {
    for (;;) {
      const deadlines: Array<{ at: number; name: string | null }> = this.queue.map((q) => ({ at: q.at, name: null }));
      for (const [name, n] of this.nodes) {
        const d = n.alive ? nextDeadline(n.s) : null;
        if (d !== null) deadlines.push({ at: d, name });
      }
      const next = deadlines.sort((a, b) => a.at - b.at)[0];
      if (!next || next.at > t) break;
      this.now = Math.max(this.now, next.at);
      const deliveries = this.queue.filter((q) => q.at <= this.now);
      if (deliveries.length > 0) {
        this.queue = this.queue.filter((q) => q.at > this.now);
        for (const d of deliveries) this.apply(d.name, d.event);
        continue;
      }
      const n = this.nodes.get(next.name!)!;
      const ev: VrrpEvent =
        n.s.masterDownTimerAt === this.now ? { type: 'masterDownTimerFired' } : n.s.advertTimerAt === this.now ? { type: 'advertTimerFired' } : { type: 'garpTimerFired' };
      this.apply(next.name!, ev);
    }
    this.now = t;
  }

  states(): Record<string, VrrpStateName> {
    return Object.fromEntries([...this.nodes].map(([k, n]) => [k, n.alive ? n.s.state : 'stopped']));
  }
}

function pair(a: Partial<InstanceConfig>, b: Partial<InstanceConfig>): Lan {
  const lan = new Lan();
  lan.add('A', { primaryAddress: '10.0.0.1', ...a });
  lan.add('B', { primaryAddress: '10.0.0.2', ...b });
  lan.apply('A', { type: 'startup' });
  lan.apply('B', { type: 'startup' });
  return lan;
}

describe('election on a simulated LAN', () => {
  it('the higher priority wins a simultaneous start; the other stays backup', () => {
    const lan = pair({ priority: 200 }, { priority: 100 });
    lan.runUntil(10_000);
    expect(lan.states()).toEqual({ A: 'master', B: 'backup' });
    // A's timer (3000 + 218) beats B's (3000 + 609): B never became master.
    expect(lan.log.filter((l) => l.to === 'master')).toEqual([{ at: 3218, name: 'A', from: 'backup', to: 'master', reason: 'master_down_timer' }]);
  });

  it('graceful shutdown: priority 0 lets the backup take over after Skew_Time, not Master_Down_Interval', () => {
    const lan = pair({ priority: 200 }, { priority: 100 });
    lan.runUntil(10_000);
    lan.apply('A', { type: 'shutdown' });
    lan.runUntil(20_000);
    expect(lan.states()).toEqual({ A: 'stopped', B: 'master' });
    const takeover = lan.log.find((l) => l.name === 'B' && l.to === 'master')!;
    expect(takeover).toMatchObject({ at: 10_000 + 1 + 609, reason: 'priority_zero_received' });
  });

  it('crash: the backup takes over Master_Down_Interval after the last advert it heard', () => {
    const lan = pair({ priority: 200 }, { priority: 100 });
    lan.runUntil(10_000); // A advertises at 3218, 4218, ... 9218
    lan.crash('A');
    lan.runUntil(20_000);
    expect(lan.log.find((l) => l.name === 'B' && l.to === 'master')).toMatchObject({ at: 9219 + 3609, reason: 'master_down_timer' });
  });

  it('equal priority: the higher address ends as the only master', () => {
    const lan = pair({ priority: 100 }, { priority: 100 });
    lan.runUntil(20_000);
    expect(lan.states()).toEqual({ A: 'backup', B: 'master' });
  });

  it('preempt: a returning higher-priority router takes mastership back', () => {
    const lan = pair({ priority: 200 }, { priority: 100 });
    lan.runUntil(10_000);
    lan.crash('A');
    lan.runUntil(20_000);
    lan.restart('A');
    lan.runUntil(30_000);
    expect(lan.states()).toEqual({ A: 'master', B: 'backup' });
    expect(lan.log.filter((l) => l.name === 'A' && l.to === 'master').at(-1)!.reason).toBe('preempt');
    expect(lan.log.filter((l) => l.name === 'B').at(-1)!.reason).toBe('higher_priority_advert');
  });

  it('nopreempt: the returning router stays backup while the current master lives', () => {
    const lan = pair({ priority: 200, preempt: false }, { priority: 100 });
    lan.runUntil(10_000);
    lan.crash('A');
    lan.runUntil(20_000);
    lan.restart('A');
    lan.runUntil(60_000);
    expect(lan.states()).toEqual({ A: 'backup', B: 'master' });
  });

  it('three routers: when the master leaves, the next highest priority takes over first', () => {
    const lan = new Lan();
    lan.add('A', { priority: 150, primaryAddress: '10.0.0.1' });
    lan.add('B', { priority: 120, primaryAddress: '10.0.0.2' });
    lan.add('C', { priority: 100, primaryAddress: '10.0.0.3' });
    for (const n of ['A', 'B', 'C']) lan.apply(n, { type: 'startup' });
    lan.runUntil(10_000);
    lan.apply('A', { type: 'shutdown' });
    lan.runUntil(20_000);
    expect(lan.states()).toEqual({ A: 'stopped', B: 'master', C: 'backup' });
    expect(lan.log.filter((l) => l.name === 'C' && l.to === 'master')).toEqual([]);
  });

  it('v3: a backup configured for 1 s learns the master\'s 100 ms interval and fails over in ~0.36 s', () => {
    const lan = pair({ priority: 200, advertIntervalMs: 100 }, { priority: 100, advertIntervalMs: 1000 });
    lan.runUntil(5000);
    expect(lan.nodes.get('B')!.s.masterAdverIntervalMs).toBe(100);
    const lastAdvert = 5000 - ((5000 - 3021) % 100); // A became master at 300 + 21 = 321 (skew at 100 ms)
    lan.crash('A');
    lan.runUntil(10_000);
    const takeover = lan.log.find((l) => l.name === 'B' && l.to === 'master')!;
    expect(takeover.at - lastAdvert).toBeLessThan(400);
  });

  it('split brain heals when the link returns: RFC 9568 adverts make the lower priority yield', () => {
    const lan = pair({ priority: 200 }, { priority: 100 });
    lan.runUntil(10_000);
    lan.nodes.get('A')!.linked = false;
    lan.runUntil(20_000);
    expect(lan.states()).toEqual({ A: 'master', B: 'master' });
    lan.nodes.get('A')!.linked = true;
    lan.runUntil(22_000);
    expect(lan.states()).toEqual({ A: 'master', B: 'backup' });
  });
});
