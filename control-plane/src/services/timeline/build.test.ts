import { describe, expect, it } from 'vitest';
import { buildLane, type CauseHint, type LaneInput, type LaneTransition, type PriorTransition } from './build.ts';

const S = 1_000_000; // window start
const U = S + 60_000; // window end
let id = 0;
const tr = (at: number, director: string, from: string, to: string, reason: string, lastAdvertAt: number | null = null): LaneTransition => ({ at: S + at, director, from, to, reason, lastAdvertAt: lastAdvertAt === null ? null : S + lastAdvertAt, eventId: ++id });
const prior = (director: string, to: string, at = -5000, from = 'backup'): PriorTransition => ({ at: S + at, director, from, to });
const lane = (o: Partial<LaneInput>) => buildLane({ instance: 'VI_1', since: S, until: U, prior: [], transitions: [], hints: [], lastSeen: new Map([['lb1', U], ['lb2', U]]), now: U, freshMs: 30_000, ...o });
const rel = (segs: { from: number; to: number; kind: string; holder: string | null }[]) => segs.map((s) => [s.from - S, s.to - S, s.kind, s.holder]);

describe('timeline lane', () => {
  it('a crash: the old master holds until the last advert the new one heard, then an outage until the takeover', () => {
    const l = lane({ prior: [prior('lb1', 'master')], transitions: [tr(10_000, 'lb2', 'backup', 'master', 'master_down_timer', 9_640)] });
    expect(rel(l.segments)).toEqual([[0, 9_640, 'held', 'lb1'], [9_640, 10_000, 'outage', null], [10_000, 60_000, 'held', 'lb2']]);
    expect(l.failovers).toEqual([expect.objectContaining({ oldMaster: 'lb1', newMaster: 'lb2', cause: 'master_down', reason: 'master_down_timer', gapMs: 360, at: S + 10_000 })]);
  });

  it('a graceful leave: the leaver\'s own reason explains the takeover; the gap runs from its leaving', () => {
    const l = lane({ prior: [prior('lb1', 'master')], transitions: [tr(5_000, 'lb1', 'master', 'stopped', 'shutdown'), tr(5_004, 'lb2', 'backup', 'master', 'priority_zero_received')] });
    expect(rel(l.segments)).toEqual([[0, 5_000, 'held', 'lb1'], [5_000, 5_004, 'outage', null], [5_004, 60_000, 'held', 'lb2']]);
    expect(l.failovers[0]).toMatchObject({ oldMaster: 'lb1', newMaster: 'lb2', cause: 'shutdown', gapMs: 4 });
  });

  it('operator actions explain takeovers: maintenance on the old master, maintenance off on the new, a move', () => {
    const hints: CauseHint[] = [{ at: S + 4_000, kind: 'director.maintenance', director: 'lb1', instance: null, on: true }, { at: S + 30_000, kind: 'director.maintenance', director: 'lb1', instance: null, on: false }];
    const l = lane({
      prior: [prior('lb1', 'master')], hints,
      transitions: [tr(5_000, 'lb1', 'master', 'backup', 'shutdown'), tr(5_001, 'lb2', 'backup', 'master', 'priority_zero_received'), tr(31_000, 'lb1', 'backup', 'master', 'preempt', 30_900)],
    });
    expect(l.failovers.map((f) => [f.oldMaster, f.newMaster, f.cause])).toEqual([['lb1', 'lb2', 'maintenance'], ['lb2', 'lb1', 'maintenance']]);
    const moved = lane({ prior: [prior('lb1', 'master')], hints: [{ at: S + 1_000, kind: 'instance.move_master', director: 'lb2', instance: 'VI_1' }], transitions: [tr(2_000, 'lb2', 'backup', 'master', 'preempt', 1_990)] });
    expect(moved.failovers[0]!.cause).toBe('move_master');
    const otherInstance = lane({ prior: [prior('lb1', 'master')], hints: [{ at: S + 1_000, kind: 'instance.move_master', director: 'lb2', instance: 'VI_2' }], transitions: [tr(2_000, 'lb2', 'backup', 'master', 'preempt', 1_990)] });
    expect(otherInstance.failovers[0]!.cause).toBe('higher_priority');
  });

  it('a takeover right after a config was applied is a rollout; an old one is not', () => {
    const applied = (at: number): CauseHint => ({ at: S + at, kind: 'config.applied', director: 'lb1', instance: null });
    const t = [tr(20_000, 'lb2', 'backup', 'master', 'preempt', 19_990)];
    expect(lane({ prior: [prior('lb1', 'master')], hints: [applied(15_000)], transitions: t }).failovers[0]!.cause).toBe('rollout');
    expect(lane({ prior: [prior('lb1', 'master')], hints: [applied(1_000)], transitions: t }).failovers[0]!.cause).toBe('higher_priority');
  });

  it('an apply that changed other instances, or only added this one (an agent starting), is no rollout of this one', () => {
    const applied = (changed: string[] | undefined): CauseHint => ({ at: S + 15_000, kind: 'config.applied', director: 'lb1', instance: null, ...(changed ? { changed } : {}) });
    const t = [tr(20_000, 'lb2', 'backup', 'master', 'master_down_timer', 19_000)];
    expect(lane({ prior: [prior('lb1', 'master')], hints: [applied([])], transitions: t }).failovers[0]!.cause).toBe('master_down');
    expect(lane({ prior: [prior('lb1', 'master')], hints: [applied(['VI_2'])], transitions: t }).failovers[0]!.cause).toBe('master_down');
    expect(lane({ prior: [prior('lb1', 'master')], hints: [applied(['VI_1'])], transitions: t }).failovers[0]!.cause).toBe('rollout');
    expect(lane({ prior: [prior('lb1', 'master')], hints: [applied(undefined)], transitions: t }).failovers[0]!.cause).toBe('rollout');
  });

  it('nothing known before the first election: unknown, and an election is no failover', () => {
    const l = lane({ transitions: [tr(3_000, 'lb1', 'backup', 'master', 'master_down_timer', null)] });
    expect(rel(l.segments)).toEqual([[0, 3_000, 'unknown', null], [3_000, 60_000, 'held', 'lb1']]);
    expect(l.failovers).toEqual([]);
  });

  it('a master that leaves with nobody taking over is an outage until someone does', () => {
    const l = lane({ prior: [prior('lb1', 'master')], transitions: [tr(5_000, 'lb1', 'master', 'fault', 'interface_down'), tr(12_000, 'lb2', 'backup', 'master', 'master_down_timer', 4_000)] });
    expect(rel(l.segments)).toEqual([[0, 5_000, 'held', 'lb1'], [5_000, 12_000, 'outage', null], [12_000, 60_000, 'held', 'lb2']]);
    // The leave explains a takeover that follows it within a Master_Down_Interval or so, not a much later one.
    expect(l.failovers[0]).toMatchObject({ oldMaster: 'lb1', cause: 'master_down', gapMs: 7_000 });
    const quick = lane({ prior: [prior('lb1', 'master')], transitions: [tr(5_000, 'lb1', 'master', 'fault', 'interface_down'), tr(8_600, 'lb2', 'backup', 'master', 'master_down_timer')] });
    expect(quick.failovers[0]).toMatchObject({ cause: 'interface', gapMs: 3_600 });
    const none = lane({ prior: [prior('lb1', 'backup', -9_000, 'master')] });
    expect(rel(none.segments)).toEqual([[0, 60_000, 'outage', null]]);
  });

  it('the window opens on the latest master; a repeated MASTER report changes nothing; outside the window is ignored', () => {
    const l = lane({ prior: [prior('lb1', 'master', -9_000), prior('lb2', 'master', -2_000)], transitions: [tr(1_000, 'lb2', 'backup', 'master', 'preempt'), tr(70_000, 'lb1', 'backup', 'master', 'preempt')] });
    expect(rel(l.segments)).toEqual([[0, 60_000, 'held', 'lb2']]);
    expect(l.failovers).toEqual([]);
  });

  it('a lastAdvertAt outside the holder\'s tenure is not believed: the gap is then unknown to be shorter than zero', () => {
    const l = lane({ prior: [prior('lb1', 'master')], transitions: [tr(10_000, 'lb2', 'backup', 'master', 'master_down_timer', 50_000)] });
    expect(rel(l.segments)).toEqual([[0, 10_000, 'held', 'lb1'], [10_000, 60_000, 'held', 'lb2']]);
    expect(l.failovers[0]!.gapMs).toBe(0);
  });

  it('a holder that stopped reporting holds only until its last report, then nobody knows', () => {
    const l = lane({ prior: [prior('lb1', 'master')], lastSeen: new Map([['lb1', U - 40_000]]) });
    expect(rel(l.segments)).toEqual([[0, 20_000, 'held', 'lb1'], [20_000, 60_000, 'unknown', null]]);
    // A window that ended long ago is not judged by today's silence.
    const past = lane({ prior: [prior('lb1', 'master')], lastSeen: new Map([['lb1', U - 40_000]]), now: U + 3_600_000 });
    expect(rel(past.segments)).toEqual([[0, 60_000, 'held', 'lb1']]);
  });
});

describe('timeline lane: outages of one director, and VIP moments', () => {
  const withVips = (t: LaneTransition, vipsAt: number | null, incarnation?: string): LaneTransition => ({ ...t, vipsAt: vipsAt === null ? null : S + vipsAt, ...(incarnation ? { incarnation } : {}) });

  it('a master that leaves and takes the instance back itself is an outage, with its gap', () => {
    const l = lane({ prior: [prior('lb1', 'master')], transitions: [tr(5_000, 'lb1', 'master', 'fault', 'interface_down'), tr(9_000, 'lb1', 'fault', 'master', 'interface_up')] });
    expect(rel(l.segments)).toEqual([[0, 5_000, 'held', 'lb1'], [5_000, 9_000, 'outage', null], [9_000, 60_000, 'held', 'lb1']]);
    expect(l.failovers).toEqual([expect.objectContaining({ kind: 'outage', oldMaster: 'lb1', newMaster: 'lb1', cause: 'interface', gapMs: 4_000 })]);
  });

  it('an agent that restarted (a new incarnation, no leave heard) and is master again: an outage of unknown length', () => {
    const t1 = withVips(tr(1_000, 'lb1', 'backup', 'master', 'master_down_timer'), null, 'run-a');
    const again = withVips(tr(20_000, 'lb1', 'backup', 'master', 'master_down_timer'), null, 'run-a');
    const restarted = withVips(tr(40_000, 'lb1', 'backup', 'master', 'master_down_timer'), null, 'run-b');
    const l = lane({ prior: [prior('lb1', 'master')], transitions: [t1, again, restarted] });
    expect(l.failovers).toEqual([expect.objectContaining({ kind: 'outage', oldMaster: 'lb1', newMaster: 'lb1', gapMs: null, at: S + 40_000 })]);
    // The window may open on the old run.
    const fromPrior = lane({ prior: [{ ...prior('lb1', 'master'), incarnation: 'run-a' }], transitions: [restarted] });
    expect(fromPrior.failovers.map((f) => f.kind)).toEqual(['outage']);
  });

  it('the gap runs between the VIPs\' moments when the agents report them, as in GET /v1/failovers', () => {
    const l = lane({ prior: [prior('lb1', 'master')], transitions: [withVips(tr(5_000, 'lb1', 'master', 'backup', 'shutdown'), 5_010), withVips(tr(5_004, 'lb2', 'backup', 'master', 'priority_zero_received'), 5_030)] });
    expect(l.failovers[0]).toMatchObject({ kind: 'failover', gapMs: 20 });
    const crash = lane({ prior: [prior('lb1', 'master')], transitions: [withVips(tr(10_000, 'lb2', 'backup', 'master', 'master_down_timer', 9_640), 10_002)] });
    expect(crash.failovers[0]).toMatchObject({ kind: 'failover', gapMs: 362 });
    // A VIP moment far from its transition is not believed: the transition's own time is used.
    const far = lane({ prior: [prior('lb1', 'master')], transitions: [withVips(tr(10_000, 'lb2', 'backup', 'master', 'master_down_timer', 9_640), 50_000)] });
    expect(far.failovers[0]!.gapMs).toBe(360);
  });
});

describe('timeline lane with a split brain', () => {
  it('a second master named in a split-brain log is no failover: both hold it until one leaves', () => {
    const l = lane({
      prior: [prior('lb1', 'master')],
      transitions: [tr(10_000, 'lb2', 'backup', 'master', 'master_down_timer', 6_400), tr(30_000, 'lb2', 'master', 'backup', 'higher_priority_advert')],
      splitBrains: [{ at: S + 10_050, masters: ['lb1', 'lb2'] }],
    });
    expect(rel(l.segments)).toEqual([[0, 10_000, 'held', 'lb1'], [10_000, 30_000, 'split', 'lb1 + lb2'], [30_000, 60_000, 'held', 'lb1']]);
    expect(l.failovers).toEqual([]);
  });

  it('a split-brain log about others, or one after the old master left, changes nothing', () => {
    const t = [tr(10_000, 'lb2', 'backup', 'master', 'master_down_timer', 9_600)];
    expect(lane({ prior: [prior('lb1', 'master')], transitions: t, splitBrains: [{ at: S + 10_050, masters: ['lb2', 'lb3'] }] }).failovers).toHaveLength(1);
    const left = lane({ prior: [prior('lb1', 'master')], transitions: [tr(9_000, 'lb1', 'master', 'backup', 'shutdown'), ...t], splitBrains: [{ at: S + 10_050, masters: ['lb1', 'lb2'] }] });
    expect(left.failovers).toHaveLength(1);
  });
});
