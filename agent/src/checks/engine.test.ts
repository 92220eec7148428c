import { describe, expect, it } from 'vitest';
import type { VirtualServer } from '#schema';
import { FakeClock } from '../os/fake/clock.ts';
import { HealthEngine, type RealServerHealth } from './engine.ts';
import { checkerPlans } from './plan.ts';
import type { CheckOutcome } from './checker-state.ts';
import { effectiveCheckTiming } from './timing.ts';

const vs = (over: Partial<VirtualServer> = {}): VirtualServer => ({
  address: '192.0.2.100', port: 80, protocol: 'TCP', scheduler: 'wlc', schedulerFlags: [], method: 'NAT', quorum: 1, hysteresis: 0,
  inhibitOnFailure: false, omega: false, haSuspend: false, delayLoopMs: 1000,
  realServers: [
    { address: '10.0.0.1', weight: 1, checkers: [{ type: 'TCP_CHECK', connectTimeoutMs: 200, retry: 1, delayBeforeRetryMs: 100 }] },
    { address: '10.0.0.2', port: 8080, weight: 2, checkers: [{ type: 'HTTP_GET', urls: [{ path: '/' }] }] },
  ],
  ...over,
} as VirtualServer);

const VS = 'TCP 192.0.2.100:80';
const RS1 = `${VS} -> 10.0.0.1:80`;
const RS2 = `${VS} -> 10.0.0.2:8080`;

const flush = () => new Promise<void>((r) => setImmediate(r));

function harness(v: VirtualServer) {
  const clock = new FakeClock(0);
  const alive = new Map<string, boolean>([['10.0.0.1', true], ['10.0.0.2', true]]);
  const probed: string[] = [];
  const changes: RealServerHealth[] = [];
  const engine = new HealthEngine(checkerPlans([v]), {
    clock,
    random: () => 0,
    probe: async (c, target): Promise<CheckOutcome> => {
      probed.push(`${c.type} ${target.address}:${target.port} @${clock.now()}`);
      return alive.get(target.address) ? { ok: true } : { ok: false, reason: 'connect ECONNREFUSED' };
    },
    onChange: (h) => changes.push(h),
  });
  const run = async (ms: number) => {
    for (let i = 0; i < ms; i += 1) {
      clock.advance(1);
      await flush();
    }
  };
  return { clock, alive, probed, changes, engine, run };
}

describe('health engine (fake clock, fake probe)', () => {
  it('plans inherit timing from the real and virtual server and keepalived defaults', () => {
    const [tcp, http] = checkerPlans([vs({ virtualhost: 'www.example.com' })]);
    expect(tcp!.id.startsWith(`${RS1} {`)).toBe(true);
    expect(tcp).toMatchObject({ vsKey: VS, rsKey: RS1, target: { address: '10.0.0.1', port: 80 }, timeoutMs: 200, timing: { retry: 1, delayBeforeRetryMs: 100, delayLoopMs: 1000 } });
    expect(http).toMatchObject({ rsKey: RS2, target: { port: 8080 }, timeoutMs: 5000, timing: { retry: 1, delayBeforeRetryMs: 3000 } });
    expect(http!.checker).toMatchObject({ virtualhost: 'www.example.com' });
    const v = vs();
    expect(effectiveCheckTiming(v, v.realServers[0]!, { type: 'DNS_CHECK', queryType: 'SOA', name: '.' })).toMatchObject({ retry: 3, delayBeforeRetryMs: 1000 });
    expect(effectiveCheckTiming(v, v.realServers[0]!, { type: 'MISC_CHECK', miscPath: '/bin/true' })).toMatchObject({ retry: 0 });
  });

  it('checks every delay_loop, detects a dead server after retry + 1 failures and brings it back', async () => {
    const h = harness(vs());
    h.engine.start();
    await h.run(2100);
    // The next attempt is delay_loop after the previous result (the fake probe answers within 1 ms).
    const at = h.probed.filter((p) => p.startsWith('TCP_CHECK 10.0.0.1:80 @')).map((p) => Number(p.split('@')[1]));
    expect(at).toHaveLength(3);
    expect(at[0]).toBe(0);
    for (let i = 1; i < at.length; i++) {
      expect(at[i]! - at[i - 1]!).toBeGreaterThanOrEqual(1000);
      expect(at[i]! - at[i - 1]!).toBeLessThanOrEqual(1002);
    }
    h.alive.set('10.0.0.1', false);
    await h.run(1200); // fails ~@3002, retries 100 ms later: down
    expect(h.changes).toEqual([{ rsKey: RS1, up: false, weight: 1, reason: 'connect ECONNREFUSED' }]);
    h.alive.set('10.0.0.1', true);
    await h.run(1000);
    expect(h.changes.at(-1)).toEqual({ rsKey: RS1, up: true, weight: 1, reason: '' });
    h.engine.stop();
  });

  it('ha_suspend: no probes for a suspended virtual server; resuming checks at once', async () => {
    const h = harness(vs());
    h.engine.suspend(VS, true);
    h.engine.start();
    await h.run(3000);
    expect(h.probed).toEqual([]);
    h.engine.suspend(VS, false);
    await h.run(5);
    expect(h.probed.length).toBe(2);
    h.engine.stop();
  });

  it('alpha servers start down until their first success', async () => {
    const h = harness(vs({ alpha: true }));
    expect(h.engine.initial().map((x) => x.up)).toEqual([false, false]);
    h.engine.start();
    await h.run(100);
    expect(h.changes.map((c) => [c.rsKey, c.up])).toEqual([[RS1, true], [RS2, true]]);
    h.engine.stop();
  });

  it('a probe that throws is a failure, not a crash', async () => {
    const clock = new FakeClock(0);
    const changes: RealServerHealth[] = [];
    const engine = new HealthEngine(checkerPlans([vs({ realServers: [{ address: '10.0.0.1', weight: 1, checkers: [{ type: 'TCP_CHECK', retry: 0 }] }] } as Partial<VirtualServer>)]), {
      clock, random: () => 0, probe: async () => { throw new Error('boom'); }, onChange: (x) => changes.push(x),
    });
    engine.start();
    clock.advance(1);
    await flush();
    expect(changes).toEqual([{ rsKey: RS1, up: false, weight: 1, reason: 'probe error: boom' }]);
    engine.stop();
  });
});
