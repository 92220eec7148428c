/** The soak's judgement (infra/soak/analysis.ts) on hand-made records: what counts as false, missing, lost. */
import { describe, expect, it } from 'vitest';
import { judgeEvents, judgeFailovers, judgeSplitBrain, memoryTrends, outages, type FailoverRecord, type FaultRecord } from '../../infra/soak/analysis.ts';
import { rng } from '#agent/cli/lab/rng.ts';

const T0 = Date.parse('2026-12-03T20:00:00Z');
const iso = (ms: number) => new Date(T0 + ms).toISOString();
const fault = (over: Partial<FaultRecord>): FaultRecord => ({ kind: 'agent-kill', target: 'lb1', cluster: 'web', disruptive: true, victims: ['VI_OUT'], splitBrain: false, restarted: ['lb1'], start: T0 + 10_000, end: T0 + 20_000, steadyAt: T0 + 30_000, ...over });
const fo = (atMs: number, over: Partial<FailoverRecord> = {}): FailoverRecord => ({ kind: 'failover', cluster: 'web', instance: 'VI_OUT', oldMaster: 'lb1', newMaster: 'lb2', cause: 'master_down_timer', at: iso(atMs), eventId: atMs, ...over });

describe('soak analysis', () => {
  it('failovers: the fault\'s own instances are caused; other instances, other clusters, quiet times and non-disruptive faults are false; a taken master with no record is missing', () => {
    const faults = [fault({}), fault({ kind: 'cp-kill', target: 'control-plane', cluster: undefined, disruptive: false, victims: [], start: T0 + 40_000, end: T0 + 45_000, steadyAt: T0 + 50_000 })];
    const v = judgeFailovers(faults, [
      fo(14_000), fo(25_000, { oldMaster: 'lb2', newMaster: 'lb1', cause: 'preempt' }),
      fo(15_000, { instance: 'VI_IN' }), // the killed director did not hold it
      fo(16_000, { cluster: 'api', instance: 'VI_API' }),
      fo(42_000, { eventId: 1 }), // during a control-plane kill
      fo(80_000, { eventId: 2 }), // nothing happening
      fo(14_000), // the same record twice
    ], T0);
    expect(v.caused).toBe(2);
    expect(v.duplicates).toBe(1);
    expect(v.causesByKind['agent-kill']).toEqual({ master_down_timer: 1, preempt: 1 });
    expect(v.false.map((f) => [f.instance, f.why.split(',')[0]])).toEqual([
      ['VI_IN', 'during agent-kill lb1'], ['VI_API', 'outside every fault'], ['VI_OUT', 'during cp-kill control-plane'], ['VI_OUT', 'outside every fault'],
    ]);
    expect(judgeFailovers([fault({})], [], T0).missing).toEqual([{ fault: 'agent-kill', start: T0 + 10_000, instance: 'VI_OUT', target: 'lb1' }]);
  });

  it('split brain: detection measured from both sides being master, resolution after the heal, repeats and strays counted', () => {
    const p = fault({ kind: 'segment-partition', splitBrain: true, victims: ['VI_OUT'], start: T0, end: T0 + 20_000, steadyAt: T0 + 25_000 });
    const v = judgeSplitBrain([p], [
      { kind: 'vrrp.split_brain', cluster: 'web', instance: 'VI_OUT', receivedAt: iso(9_000) },
      { kind: 'vrrp.split_brain', cluster: 'web', instance: 'VI_OUT', receivedAt: iso(12_000) },
      { kind: 'vrrp.split_brain_resolved', cluster: 'web', instance: 'VI_OUT', receivedAt: iso(24_000) },
      { kind: 'vrrp.split_brain', cluster: 'api', instance: 'VI_API', receivedAt: iso(9_000) },
    ], 3_600);
    expect(v).toMatchObject({ partitions: 1, detected: 1, detectMs: [5_400], resolved: 1, resolveMs: [4_000], repeated: 1, spurious: 1 });
    expect(judgeSplitBrain([p], [], 3_600)).toMatchObject({ detected: 0, resolved: 0 });
    // The cut-off side may have heard its last advert up to an interval before the cut: the
    // delay is counted from the earliest both sides can be master.
    expect(judgeSplitBrain([p], [{ kind: 'vrrp.split_brain', cluster: p.cluster!, instance: 'VI_OUT', receivedAt: iso(3_400) }], 3_600, 1_000).detectMs).toEqual([800]);
    // A master whose adverts were lost beyond the timers: its backup took over while it still
    // held the VIP, a real second master, so its split brain is no stray (and not required).
    const lost = fault({ kind: 'loss-beyond', cluster: 'api', secondMaster: true, start: T0 + 5_000, end: T0 + 12_000, steadyAt: T0 + 13_000 });
    expect(judgeSplitBrain([p, lost], [{ kind: 'vrrp.split_brain', cluster: 'api', instance: 'VI_API', receivedAt: iso(9_000) }], 3_600)).toMatchObject({ partitions: 1, spurious: 0 });
    expect(judgeSplitBrain([p, lost], [{ kind: 'vrrp.split_brain', cluster: 'api', instance: 'VI_API', receivedAt: iso(90_000) }], 3_600)).toMatchObject({ spurious: 1 });
  });

  it('split brain: two partitions of one cluster back to back are two episodes, each logged once, not one logged twice', () => {
    const p1 = fault({ kind: 'segment-partition', splitBrain: true, victims: ['VI_OUT'], start: T0, end: T0 + 18_000, steadyAt: T0 + 20_000 });
    const p2 = fault({ kind: 'segment-partition', splitBrain: true, victims: ['VI_OUT'], start: T0 + 23_000, end: T0 + 41_000, steadyAt: T0 + 43_000 });
    const ev = [
      { kind: 'vrrp.split_brain', cluster: 'web', instance: 'VI_OUT', receivedAt: iso(5_000) },
      { kind: 'vrrp.split_brain_resolved', cluster: 'web', instance: 'VI_OUT', receivedAt: iso(18_500) },
      { kind: 'vrrp.split_brain', cluster: 'web', instance: 'VI_OUT', receivedAt: iso(28_000) },
      { kind: 'vrrp.split_brain_resolved', cluster: 'web', instance: 'VI_OUT', receivedAt: iso(41_400) },
    ] as const;
    expect(judgeSplitBrain([p1, p2], [...ev], 3_600)).toMatchObject({ partitions: 2, detected: 2, resolved: 2, repeated: 0, spurious: 0 });
    // A second report within one episode is still a repeat.
    expect(judgeSplitBrain([p1, p2], [...ev, { kind: 'vrrp.split_brain', cluster: 'web', instance: 'VI_OUT', receivedAt: iso(9_000) }], 3_600)).toMatchObject({ repeated: 1 });
  });

  it('split brain: one reported again after the heal was cleared is a new episode: another fault\'s second master explains it, else it is a stray, never a repeat of the partition', () => {
    // The soak's 30-minute run of 2026-12-04: lb6 cut off on c3 (split brain logged and cleared),
    // then, 9 s after the heal and inside the partition's 30 s reporting tail, lb5's adverts were
    // lost beyond the timers and its backup took over while it held the VIP: a second episode.
    const p = fault({ kind: 'segment-partition', cluster: 'edge', splitBrain: true, victims: ['VI_A'], start: T0, end: T0 + 18_000, steadyAt: T0 + 20_000 });
    const lost = fault({ kind: 'loss-beyond', cluster: 'edge', secondMaster: true, start: T0 + 27_000, end: T0 + 35_000, steadyAt: T0 + 37_000 });
    const ev = [
      { kind: 'vrrp.split_brain', cluster: 'edge', instance: 'VI_A', receivedAt: iso(8_000) },
      { kind: 'vrrp.split_brain_resolved', cluster: 'edge', instance: 'VI_A', receivedAt: iso(18_400) },
      { kind: 'vrrp.split_brain', cluster: 'edge', instance: 'VI_A', receivedAt: iso(33_000) },
    ] as const;
    expect(judgeSplitBrain([p, lost], [...ev], 3_600)).toMatchObject({ partitions: 1, detected: 1, resolved: 1, repeated: 0, spurious: 0 });
    expect(judgeSplitBrain([p], [...ev], 3_600)).toMatchObject({ partitions: 1, detected: 1, resolved: 1, repeated: 0, spurious: 1 });
    // Reported twice before the clear: that is the partition logged twice.
    expect(judgeSplitBrain([p, lost], [...ev, { kind: 'vrrp.split_brain', cluster: 'edge', instance: 'VI_A', receivedAt: iso(12_000) }], 3_600)).toMatchObject({ repeated: 1 });
  });

  it('outages run from the first failed probe to the next success', () => {
    const ps = [0, 250, 500, 750, 1000, 1250].map((at, i) => ({ vip: 'v', at, ok: i === 0 || i === 5 }));
    expect(outages(ps)).toEqual([{ vip: 'v', from: 250, ms: 1000, probes: 4 }]);
  });

  it('events: every outbox seq up to the acknowledged one must be stored once', () => {
    const v = judgeEvents([{ director: 'lb1', outboxLast: 6, outboxAcked: 5, stored: [1, 2, 2, 4, 5] }]);
    expect(v).toMatchObject({ lost: 1, duplicates: 1, undelivered: 1 });
    expect(v.detail[0]!.lost).toEqual([3]);
  });

  it('memory: the slope per hour after warm-up, per process run', () => {
    const samples = Array.from({ length: 61 }, (_, i) => ({ proc: 'a#1', at: i * 60_000, rssKb: 100_000 + (i >= 5 ? i * 100 : 50_000), fds: 30, dbConns: 0 }));
    const [m] = memoryTrends(samples, 5 * 60_000);
    expect(m!.slopeMbPerHour).toBeCloseTo((100 * 60) / 1024, 5);
    expect(m!.samples).toBe(56);
  });

  it('fds: database connections a pool opened on demand are counted apart from the rest', () => {
    // The pool grows from 2 to 6 connections after warm-up; one other socket is leaked.
    const samples = Array.from({ length: 10 }, (_, i) => ({ proc: 'cp#1', at: i * 30_000, rssKb: 100_000, fds: 25 + (i >= 4 ? 4 : 0) + (i >= 8 ? 1 : 0), dbConns: i >= 4 ? 6 : 2 }));
    const [m] = memoryTrends(samples, 60_000);
    expect(m).toMatchObject({ fdsFirst: 25, fdsLast: 30, otherFdsFirst: 23, otherFdsLast: 24, dbConnsMax: 6 });
  });

  it('the schedule is reproducible from its seed', () => {
    const a = rng(7);
    const b = rng(7);
    expect(Array.from({ length: 20 }, () => a.int(0, 100))).toEqual(Array.from({ length: 20 }, () => b.int(0, 100)));
  });
});
