/**
 * vigil plan's election prediction: the agent's VRRP state machine run from the reported state
 * through the change, each director's reload applied as the agent applies it.
 */
import { parseClusterSpec, type ClusterSpec } from '#schema';
import { describe, expect, it } from 'vitest';
import { predict, type DirectorNow } from './predict.ts';

type Raw = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- spec documents built in tests

function spec(mutate: (s: Raw) => void = () => {}): ClusterSpec {
  const s: Raw = {
    version: 1,
    directors: { lb1: {}, lb2: {} },
    vrrpInstances: { VI_1: { interface: 'eth0', virtualRouterId: 51, priority: 150, virtualIpAddresses: ['192.0.2.100/24'], directors: { lb2: { priority: 100 } } } },
  };
  mutate(s);
  const p = parseClusterSpec(s);
  if (!p.ok) throw new Error(JSON.stringify(p.issues));
  return p.spec;
}

const reported = (state: Record<string, [string, number, number?]>, extra: Partial<DirectorNow> = {}): DirectorNow[] =>
  Object.entries(state).map(([name, [st, prio, base]]) => ({ name, maintenance: false, fresh: true, instances: { VI_1: { state: st, priority: prio, basePriority: base ?? prio } }, ...extra }));

const now = reported({ lb1: ['MASTER', 150], lb2: ['BACKUP', 100] });

describe('predicted elections', () => {
  it('no change: the master stays, nothing restarts', () => {
    const [p] = predict(spec(), spec(), now);
    expect(p).toMatchObject({ instance: 'VI_1', mastersNow: ['lb1'], mastersAfter: ['lb1'], coordinated: false });
    expect(p!.directors.map((d) => d.action)).toEqual(['unchanged', 'unchanged']);
    expect(p!.timeline).toEqual([]);
  });

  it('a backup raised above the master takes over (preempt), after its master-down interval', () => {
    const [p] = predict(spec(), spec((s) => { s.vrrpInstances.VI_1.directors.lb2.priority = 200; }), now);
    expect(p!.mastersAfter).toEqual(['lb2']);
    expect(p!.directors.find((d) => d.director === 'lb2')).toMatchObject({ priorityBefore: 100, priorityAfter: 200 });
    const takeover = p!.timeline.find((t) => t.to === 'master')!;
    expect(takeover).toMatchObject({ director: 'lb2', reason: 'preempt' });
    // A priority change is applied in place (the agent's reload keeps the running timers): lb2
    // ignores lb1's lower-priority adverts and its master-down timer, armed at priority 100 by
    // lb1's advert at the moment of the change, expires: 3 x advert_int + (256-100)/256 s = 3609 ms.
    expect(takeover.at).toBe(3609);
    expect(p!.timeline.some((t) => t.director === 'lb1' && t.to === 'backup' && t.reason === 'higher_priority_advert')).toBe(true);
  });

  it('the same raise with nopreempt everywhere keeps the master', () => {
    const before = spec((s) => { s.vrrpInstances.VI_1.nopreempt = true; s.vrrpInstances.VI_1.state = 'BACKUP'; });
    const after = spec((s) => { s.vrrpInstances.VI_1.nopreempt = true; s.vrrpInstances.VI_1.state = 'BACKUP'; s.vrrpInstances.VI_1.directors.lb2.priority = 200; });
    const [p] = predict(before, after, now);
    expect(p!.mastersAfter).toEqual(['lb1']);
  });

  it('a tracked script holding a director 30 down keeps holding it after the change', () => {
    const tracked = reported({ lb1: ['MASTER', 150], lb2: ['BACKUP', 90, 120] });
    const before = spec((s) => { s.vrrpInstances.VI_1.directors.lb2.priority = 120; });
    const after = spec((s) => { s.vrrpInstances.VI_1.directors.lb2.priority = 170; });
    const [p] = predict(before, after, tracked);
    // 170 - 30 = 140 < 150: lb1 stays master.
    expect(p!.directors.find((d) => d.director === 'lb2')!.priorityAfter).toBe(140);
    expect(p!.mastersAfter).toEqual(['lb1']);
  });

  it('a director in maintenance does not run, and is said so', () => {
    const maint: DirectorNow[] = [{ ...now[0]!, maintenance: true, instances: {} }, { ...now[1]!, instances: { VI_1: { state: 'MASTER', priority: 100, basePriority: 100 } } }];
    const [p] = predict(spec(), spec((s) => { s.vrrpInstances.VI_1.directors.lb2.priority = 120; }), maint);
    expect(p!.directors.find((d) => d.director === 'lb1')!.action).toBe('maintenance');
    expect(p!.mastersAfter).toEqual(['lb2']);
  });

  it('a change carried in adverts needs the coordinated instant', () => {
    const [vrid] = predict(spec(), spec((s) => { s.vrrpInstances.VI_1.virtualRouterId = 52; }), now);
    expect(vrid!.coordinated).toBe(true);
    expect(vrid!.directors.map((d) => d.action)).toEqual(['restarted', 'restarted']);
    const [prio] = predict(spec(), spec((s) => { s.vrrpInstances.VI_1.directors.lb2.priority = 99; }), now);
    expect(prio!.coordinated).toBe(false);
  });

  it('a preferred master (move-master, priority 254) stays master through a priority change', () => {
    const moved = reported({ lb1: ['BACKUP', 150], lb2: ['MASTER', 254, 254] });
    const [p] = predict(spec(), spec((s) => { s.vrrpInstances.VI_1.priority = 200; }), moved);
    expect(p!.notes.some((n) => n.includes('preferred master'))).toBe(true);
    expect(p!.mastersAfter).toEqual(['lb2']);
  });

  it('split brain now, and directors without a fresh report, are said', () => {
    const both = reported({ lb1: ['MASTER', 150], lb2: ['MASTER', 100] });
    const [p] = predict(spec(), spec(), both);
    expect(p!.notes.some((n) => n.startsWith('split brain now'))).toBe(true);
    expect(p!.mastersNow).toEqual(['lb1', 'lb2']);
    const stale = predict(spec(), spec(), now.map((d) => ({ ...d, fresh: false })))[0]!;
    expect(stale.notes).toEqual(['lb1 has no fresh report: taken as down', 'lb2 has no fresh report: taken as down']);
    expect(stale.mastersAfter).toEqual([]);
  });

  it('a new cluster (no revision yet) plans from nothing: each director adds the instance', () => {
    const [p] = predict(undefined, spec(), []);
    expect(p!.directors.map((d) => d.action)).toEqual(['down', 'down']);
    const [q] = predict(undefined, spec(), now.map((d) => ({ ...d, instances: {} })));
    expect(q!.directors.map((d) => d.action)).toEqual(['added', 'added']);
    expect(q!.mastersAfter).toEqual(['lb1']);
  });
});
