import { describe, expect, it } from 'vitest';
import { chaosBoundMs, formatChaos, judgeChaos, type ChaosFault, type ChaosRecord } from './chaos-report.ts';
import { runLab } from './command.ts';

const T = { advertMs: 200, lowestPriority: 100, probeTimeoutMs: 500 };
const t0 = Date.parse('2026-12-04T10:00:00Z');
const fault = (over: Partial<ChaosFault> & Pick<ChaosFault, 'kind'>): ChaosFault => ({
  target: 'lb1', cluster: 'web', disruptive: true, victims: ['VI_OUT', 'VI_IN'], splitBrain: false, start: t0, end: t0 + 2000, steadyAt: t0 + 3000, ...over,
});
const failover = (at: number, instance: string, eventId: number, cause = 'master_down_timer') => ({
  kind: 'failover' as const, cluster: 'web', instance, oldMaster: 'lb1', newMaster: 'lb2', cause, at: new Date(at).toISOString(), eventId,
});
const record = (over: Partial<ChaosRecord>): ChaosRecord => ({
  seed: 1, startedAt: t0 - 2000, endedAt: t0 + 60_000, faults: [], failovers: [], probes: [], chain: { ok: true, checked: 10 }, ...over,
});

describe('vigil lab chaos: the judgement', () => {
  it('bounds from the timers: master-down for a silent master, skew time for one that stops, nothing for tolerated loss', () => {
    // 3 × 200 + (256 − 100) × 200 / 256 = 721.875 ms, plus the client's 500 ms deadline.
    expect(chaosBoundMs('agent-kill', T)).toBeCloseTo(1221.875);
    expect(chaosBoundMs('link-flap', T)).toBeCloseTo(1221.875);
    expect(chaosBoundMs('agent-term', T)).toBeCloseTo(621.875);
    expect(chaosBoundMs('loss-tolerated', T)).toBe(0);
  });

  it('a master killed and both instances recorded passes; the outage is the fault\'s, beside its bound', () => {
    const probes = [0, 100, 200, 300, 400, 900, 1000].map((d, i) => ({ vip: '192.0.2.10', at: t0 + d, ok: i === 0 || i >= 5 }));
    const r = judgeChaos(record({
      faults: [fault({ kind: 'agent-kill' })],
      failovers: [failover(t0 + 730, 'VI_OUT', 1), failover(t0 + 731, 'VI_IN', 2, 'sync_group')],
      probes,
    }), T);
    expect(r.passed).toBe(true);
    expect(r.byKind['agent-kill']).toEqual({ faults: 1, failedProbes: 4, longestMs: 800, boundMs: 1222 });
    expect(r.failovers.causesByKind['agent-kill']).toEqual({ master_down_timer: 1, sync_group: 1 });
    const text = formatChaos(r, '192.0.2.10');
    expect(text).toMatch(/agent-kill\s+1\s+master_down_timer×1 sync_group×1\s+4\s+800\s+1222/);
    expect(text).toContain('masters the lab took away and the control plane recorded: 2/2');
    expect(text).toContain('lab chaos: every check held');
  });

  it('fails on a failover during tolerated loss, a master taken with no record, a broken chain, or a lab not steady', () => {
    const lossy = judgeChaos(record({
      faults: [fault({ kind: 'loss-tolerated', target: 'lb1+lb2', disruptive: false, victims: [] })],
      failovers: [failover(t0 + 500, 'VI_OUT', 1)],
    }), T);
    expect(lossy.passed).toBe(false);
    expect(formatChaos(lossy, '192.0.2.10')).toMatch(/FAIL false failovers .*: 1\n.*VI_OUT lb1 -> lb2 \(master_down_timer\): during loss-tolerated/);

    const missing = judgeChaos(record({ faults: [fault({ kind: 'agent-term' })], failovers: [failover(t0 + 150, 'VI_OUT', 1, 'priority_zero_received')] }), T);
    expect(missing.passed).toBe(false);
    expect(formatChaos(missing, '192.0.2.10')).toMatch(/FAIL masters the lab took away and the control plane recorded: 1\/2\n.*agent-term lb1: no failover of VI_IN recorded/);

    const chain = judgeChaos(record({ chain: { ok: false, checked: 3, problem: 'event 7 does not match its hash' } }), T);
    expect(chain.passed).toBe(false);
    expect(formatChaos(chain, '192.0.2.10')).toContain('FAIL the audit chain verifies: event 7 does not match its hash');

    const stuck = judgeChaos(record({ faults: [fault({ kind: 'link-flap', disruptive: false, victims: [], error: 'not steady 30 s after: 192.0.2.10 is on lb1+lb2' })] }), T);
    expect(stuck.passed).toBe(false);
    expect(formatChaos(stuck, '192.0.2.10')).toContain('FAIL the lab steady again after every fault: 0/1');
  });

  it('the right cause for how the master left: a stop is answered by priority 0, a death by the master-down timer', () => {
    const term = fault({ kind: 'agent-term', departure: 'graceful' });
    const kill = fault({ kind: 'agent-kill', departure: 'silent', start: t0 + 10_000, end: t0 + 12_000, steadyAt: t0 + 13_000 });
    const good = judgeChaos(record({
      faults: [term, kill],
      failovers: [failover(t0 + 130, 'VI_OUT', 1, 'priority_zero_received'), failover(t0 + 131, 'VI_IN', 2, 'sync_group'), failover(t0 + 10_730, 'VI_OUT', 3), failover(t0 + 10_731, 'VI_IN', 4, 'sync_group')],
    }), T);
    expect(good.failovers.wrongCause).toEqual([]);
    expect(good.passed).toBe(true);
    const bad = judgeChaos(record({
      faults: [term, kill],
      failovers: [failover(t0 + 730, 'VI_OUT', 1), failover(t0 + 731, 'VI_IN', 2, 'sync_group'), failover(t0 + 10_130, 'VI_OUT', 3, 'priority_zero_received'), failover(t0 + 10_131, 'VI_IN', 4, 'sync_group')],
    }), T);
    expect(bad.failovers.wrongCause.map((f) => [f.eventId, f.fault])).toEqual([[1, 'agent-term lb1'], [3, 'agent-kill lb1']]);
    expect(bad.passed).toBe(false);
    expect(formatChaos(bad, '192.0.2.10')).toMatch(/FAIL failovers with the wrong cause for how their master left: 2\n.*VI_OUT lb1 -> lb2 \(master_down_timer\) during agent-term lb1: the master stopped and should have sent priority 0/);
  });

  it('a failover outside every fault is false, and so is one of an instance whose master the fault did not touch', () => {
    const r = judgeChaos(record({
      faults: [fault({ kind: 'agent-freeze', target: 'lb2', disruptive: false, victims: [] })],
      failovers: [failover(t0 + 1500, 'VI_OUT', 1), failover(t0 + 40_000, 'VI_IN', 2)],
    }), T);
    expect(r.failovers.false.map((f) => f.why)).toEqual(['during agent-freeze lb2, which took no master of VI_OUT away', 'outside every fault']);
    expect(r.passed).toBe(false);
  });
});

describe('vigil lab chaos: its flags', () => {
  const io = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { out: (s: string) => { out.push(s); }, err: (s: string) => { err.push(s); } } };
  };
  it.each([
    [['chaos', '--faults', 'agent-kill,disk-ful'], /--faults: unknown kind "disk-ful"; the kinds are agent-kill, agent-term, agent-freeze, link-flap, loss-tolerated/],
    [['chaos', '--faults', ','], /--faults names no kind/],
    [['chaos', '--minutes', '0'], /--minutes must be a positive integer, not "0"/],
    [['chaos', '--minutes', '20000'], /--minutes is 1\.\.10080/],
    [['chaos', '--seed', '-3'], /--seed is an integer 0\.\.4294967295, not "-3"/],
    [['status', '--minutes', '3'], /--minutes is an option of "vigil lab chaos"/],
  ])('%j is a usage error, before anything is touched', async (argv, message) => {
    const x = io();
    expect(await runLab(argv, x.io as never)).toBe(2);
    expect(x.err.join('')).toMatch(message);
  });
});
