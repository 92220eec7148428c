/**
 * Behaviour of the state machine beyond the state × event table: timer values, learning,
 * preemption knobs, tie-breaks, GARP scheduling, tracking and fault recovery, counters.
 * All times are plain numbers (a fake clock); nothing sleeps.
 */
import { describe, expect, it } from 'vitest';
import { fireDueTimers, step } from './fsm.ts';
import { config, deepFreeze, reach, run, show } from './fsm.test-helpers.ts';
import { syncGroupLowerPrioFollow } from './sync-group.ts';
import { createInstance, nextDeadline, type InstanceState, type VrrpEvent } from './state.ts';

const adv = (priority: number, srcAddress: string, advertIntervalMs = 1000): VrrpEvent => ({
  type: 'advertReceived',
  advert: { priority, advertIntervalMs },
  srcAddress,
});

describe('startup', () => {
  it('a backup arms Master_Down_Timer = 3 × interval + skew (prio 100, 1 s → 3609 ms)', () => {
    const s = reach('backup');
    expect(s.masterDownTimerAt).toBe(1000 + 3609);
    expect(s.masterAdverIntervalMs).toBe(1000);
  });

  it('v2 uses the seconds-based skew regardless of interval (prio 200, 3 s → 9218 ms)', () => {
    const s = reach('backup', { version: 2, priority: 200, advertIntervalMs: 3000 });
    expect(s.masterDownTimerAt).toBe(1000 + 9000 + 218);
  });

  it('the owner (255) goes straight to master and advertises 255', () => {
    const r = step(createInstance(config({ priority: 255 })), { type: 'startup' }, 0);
    expect(r.state.state).toBe('master');
    expect(show(r.effects)).toEqual(['transition:initialize>master:startup', 'addVips', 'sendAdvert:255', 'sendGarp:5:become_master']);
    expect(r.state.advertTimerAt).toBe(1000);
  });

  it('starts in FAULT when an input is already faulted, naming the cause', () => {
    const s0 = createInstance(config());
    const down = step(step(s0, { type: 'interfaceDown' }, 0).state, { type: 'startup' }, 1);
    expect(show(down.effects)).toEqual(['transition:initialize>fault:interface_down']);
    const tracked = step(step(s0, { type: 'trackerChanged', priority: 100, fault: true }, 0).state, { type: 'startup' }, 1);
    expect(show(tracked.effects)).toEqual(['transition:initialize>fault:tracked_object_failed']);
  });

  it('createInstance rejects values the wire cannot carry, naming the instance and field', () => {
    expect(() => createInstance(config({ vrid: 0 }))).toThrow(/VI_1: virtual_router_id 0 is outside 1..255/);
    expect(() => createInstance(config({ priority: 0 }))).toThrow(/priority 0/);
    expect(() => createInstance(config({ version: 2, advertIntervalMs: 500 }))).toThrow(/advert_int 500 ms/);
    expect(() => createInstance(config({ version: 3, advertIntervalMs: 15 }))).toThrow(/advert_int 15 ms/);
    expect(() => createInstance(config({ version: 2, family: 'ipv6', primaryAddress: 'fe80::1' }))).toThrow(/IPv6/);
    expect(() => createInstance(config({ primaryAddress: 'fe80::1' }))).toThrow(/primary address/);
  });
});

describe('backup receiving adverts', () => {
  it('re-arms the down timer from each accepted advert', () => {
    const s = run(reach('backup'), [[3000, adv(150, '10.0.0.9')]]);
    expect(s.masterDownTimerAt).toBe(3000 + 3609);
    expect(s.masterAddress).toBe('10.0.0.9');
    expect(s.masterPriority).toBe(150);
  });

  it('v3 learns Master_Adver_Interval from the master and recomputes skew and down interval', () => {
    const s = run(reach('backup'), [[3000, adv(150, '10.0.0.9', 2000)]]);
    expect(s.masterAdverIntervalMs).toBe(2000);
    // 3 × 2000 + (156 × 2000) / 256 = 6000 + 1218
    expect(s.masterDownTimerAt).toBe(3000 + 7218);
  });

  it('v2 does not learn (the interval is checked equal on receive instead)', () => {
    const s = run(reach('backup', { version: 2 }), [[3000, adv(150, '10.0.0.9', 2000)]]);
    expect(s.masterAdverIntervalMs).toBe(1000);
  });

  it('priority 0 sets the down timer to Skew_Time; firing it is reported as priority_zero_received', () => {
    const s = run(reach('backup'), [[3000, adv(0, '10.0.0.9')]]);
    expect(s.masterDownTimerAt).toBe(3000 + 609);
    expect(s.counters.priorityZeroRx).toBe(1);
    const r = step(s, { type: 'masterDownTimerFired' }, 3609);
    expect(show(r.effects)[0]).toBe('transition:backup>master:priority_zero_received');
  });

  it('with preempt, ignores a lower-priority master so its own timer fires (reason: preempt)', () => {
    let s = reach('backup', { priority: 150 });
    const armed = s.masterDownTimerAt!;
    s = run(s, [[2000, adv(100, '10.0.0.9')], [3000, adv(100, '10.0.0.9')]]);
    expect(s.masterDownTimerAt).toBe(armed);
    const r = step(s, { type: 'masterDownTimerFired' }, armed);
    expect(show(r.effects)[0]).toBe('transition:backup>master:preempt');
  });

  it('nopreempt: keeps a lower-priority master alive and never takes over while it advertises', () => {
    let s = reach('backup', { priority: 150, preempt: false });
    for (let t = 2000; t < 60_000; t += 1000) {
      s = run(s, [[t, adv(100, '10.0.0.9')]]);
      expect(fireDueTimers(s, t).state.state).toBe('backup');
    }
  });

  it('preempt_delay: accepts a lower-priority master until the delay since startup has passed', () => {
    let s = reach('backup', { priority: 150, preemptDelayMs: 10_000 }); // started at 1000
    s = run(s, [[5000, adv(100, '10.0.0.9')], [10_000, adv(100, '10.0.0.9')]]);
    expect(s.masterDownTimerAt).toBe(10_000 + 3414); // still accepting: prio 150 skew = 414
    s = run(s, [[11_500, adv(100, '10.0.0.9')]]); // past 1000 + 10000: ignored now
    expect(s.masterDownTimerAt).toBe(13_414);
    expect(show(step(s, { type: 'masterDownTimerFired' }, 13_414).effects)[0]).toBe('transition:backup>master:preempt');
  });

  it('preempt_delay restarts when the interface comes back up', () => {
    let s = reach('backup', { priority: 150, preemptDelayMs: 10_000 });
    s = run(s, [[20_000, { type: 'interfaceDown' }], [30_000, { type: 'interfaceUp' }], [31_000, adv(100, '10.0.0.9')]]);
    expect(s.state).toBe('backup');
    expect(s.masterDownTimerAt).toBe(31_000 + 3414);
  });

  it('a backup does not tie-break: an equal-priority advert from a lower address is accepted', () => {
    const s = run(reach('backup'), [[3000, adv(100, '10.0.0.1')]]);
    expect(s.masterDownTimerAt).toBe(3000 + 3609);
  });
});

describe('master receiving adverts', () => {
  it('yields to a higher priority, learns its interval and arms the down timer from it', () => {
    const m = reach('master');
    const r = step(m, adv(200, '10.0.0.9', 500), 6000);
    expect(r.state.state).toBe('backup');
    expect(r.state.masterAdverIntervalMs).toBe(500);
    expect(r.state.masterDownTimerAt).toBe(6000 + 1500 + Math.floor((156 * 500) / 256));
    expect(r.state.masterAddress).toBe('10.0.0.9');
  });

  it('equal priority: the higher primary address wins (unsigned, network byte order)', () => {
    // 10.0.0.5 vs 10.0.0.200: a string compare would get this wrong.
    const m = reach('master');
    expect(step(m, adv(100, '10.0.0.200'), 6000).state.state).toBe('backup');
    expect(step(m, adv(100, '10.0.0.4'), 6000).state.state).toBe('master');
    expect(step(m, adv(100, '9.0.0.1'), 6000).state.state).toBe('master');
    // 128.x > 10.x only as unsigned bytes.
    expect(step(m, adv(100, '128.0.0.1'), 6000).state.state).toBe('backup');
  });

  it('equal priority tie-break works for IPv6 link-local sources', () => {
    const m = reach('master', { family: 'ipv6', primaryAddress: 'fe80::5' });
    expect(step(m, adv(100, 'fe80::1:0'), 6000).state.state).toBe('backup');
    expect(step(m, adv(100, 'fe80::4'), 6000).state.state).toBe('master');
  });

  it('RFC 9568: answers a lower-priority advert with its own, unless lower_prio_no_advert', () => {
    expect(show(step(reach('master'), adv(50, '10.0.0.9'), 6000).effects)).toEqual(['sendAdvert:100']);
    expect(show(step(reach('master', { lowerPrioNoAdvert: true }), adv(50, '10.0.0.9'), 6000).effects)).toEqual([]);
  });

  it('higher_prio_send_advert: one more advert before yielding', () => {
    const r = step(reach('master', { higherPrioSendAdvert: true }), adv(200, '10.0.0.9'), 6000);
    expect(show(r.effects)).toEqual(['sendAdvert:100', 'removeVips', 'transition:master>backup:higher_priority_advert']);
  });

  it('priority 0 from another router: advertise now and restart the Adver_Timer', () => {
    const r = step(reach('master'), adv(0, '10.0.0.9'), 5000);
    expect(show(r.effects)).toEqual(['sendAdvert:100']);
    expect(r.state.advertTimerAt).toBe(6000);
  });

  it('garp_lower_prio_repeat: a re-GARP burst at once and one more after garp_lower_prio_delay (keepalived parity)', () => {
    const m = reach('master', { garp: { masterRepeat: 5, masterDelayMs: 0, masterRefreshMs: 0, masterRefreshRepeat: 1, lowerPrioDelayMs: 2000, lowerPrioRepeat: 3 } });
    const first = step(m, adv(50, '10.0.0.9'), 6000);
    // The clients that followed the other master are sent back now, not 2 s later.
    expect(show(first.effects)).toEqual(['sendAdvert:100', 'sendGarp:3:lower_prio']);
    const again = step(first.state, adv(50, '10.0.0.9'), 6500);
    expect(show(again.effects)).toEqual(['sendAdvert:100']);
    let s = again.state;
    expect(s.garpAt).toEqual([{ at: 8000, count: 3, kind: 'lower_prio_delay' }]);
    const r = step(s, { type: 'garpTimerFired' }, 8000);
    expect(show(r.effects)).toEqual(['sendGarp:3:lower_prio_delay']);
    s = r.state;
    expect(s.garpAt).toEqual([]);
  });

  it('garp_lower_prio_repeat 0 sends no GARP; garp_lower_prio_delay 0 sends the one burst and schedules none', () => {
    const base = { masterRepeat: 5, masterDelayMs: 0, masterRefreshMs: 0, masterRefreshRepeat: 1 };
    const off = step(reach('master', { garp: { ...base, lowerPrioDelayMs: 2000, lowerPrioRepeat: 0 } }), adv(50, '10.0.0.9'), 6000);
    expect(show(off.effects)).toEqual(['sendAdvert:100']);
    expect(off.state.garpAt).toEqual([]);
    const now = step(reach('master', { garp: { ...base, lowerPrioDelayMs: 0, lowerPrioRepeat: 2 } }), adv(50, '10.0.0.9'), 6000);
    expect(show(now.effects)).toEqual(['sendAdvert:100', 'sendGarp:2:lower_prio']);
    expect(now.state.garpAt).toEqual([]);
  });
});

describe('timers', () => {
  it('master advertises every interval; a stale or early callback does nothing', () => {
    const m = reach('master'); // became master at 4609
    expect(step(m, { type: 'advertTimerFired' }, 5000).effects).toEqual([]);
    const r = step(m, { type: 'advertTimerFired' }, 5609);
    expect(show(r.effects)).toEqual(['sendAdvert:100']);
    expect(r.state.advertTimerAt).toBe(6609);
    expect(step(reach('backup'), { type: 'masterDownTimerFired' }, 4000).effects).toEqual([]);
  });

  it('GARP: a burst on takeover, the garp_master_delay burst, then periodic refresh', () => {
    const garp = { masterRepeat: 5, masterDelayMs: 5000, masterRefreshMs: 60_000, masterRefreshRepeat: 2, lowerPrioDelayMs: 0, lowerPrioRepeat: 0 };
    const m = reach('master', { garp });
    expect(m.garpAt).toEqual([
      { at: 4609 + 5000, count: 5, kind: 'master_delay' },
      { at: 4609 + 60_000, count: 2, kind: 'refresh' },
    ]);
    const r1 = step(m, { type: 'garpTimerFired' }, 9609);
    expect(show(r1.effects)).toEqual(['sendGarp:5:master_delay']);
    const r2 = step(r1.state, { type: 'garpTimerFired' }, 64_609);
    expect(show(r2.effects)).toEqual(['sendGarp:2:refresh']);
    expect(r2.state.garpAt).toEqual([{ at: 124_609, count: 2, kind: 'refresh' }]);
    expect(r2.state.counters.garpBurstsTx).toBe(3);
  });

  it('nextDeadline is the earliest pending timer; fireDueTimers runs everything due in order', () => {
    const m = reach('master');
    expect(nextDeadline(m)).toBe(5609);
    expect(nextDeadline(reach('fault'))).toBeNull();
    // Woken 4 s late: one advert (not a catch-up burst of four), re-armed from now, and the
    // GARP burst that fell due at 9609.
    const r = fireDueTimers(m, 9609);
    expect(show(r.effects)).toEqual(['sendAdvert:100', 'sendGarp:5:master_delay']);
    expect(r.state.advertTimerAt).toBe(10_609);
    expect(r.state.garpAt).toEqual([]);
  });

  it('fireDueTimers hands over from backup to master and keeps going with the master timers', () => {
    const b = reach('backup'); // down at 4609
    const r = fireDueTimers(b, 4609);
    expect(r.state.state).toBe('master');
    expect(show(r.effects)).toEqual(['transition:backup>master:master_down_timer', 'addVips', 'sendAdvert:100', 'sendGarp:5:become_master']);
  });
});

describe('tracking and faults', () => {
  it('a priority change takes effect in the next advert; the owner ignores weights', () => {
    const m = run(reach('master'), [[5000, { type: 'trackerChanged', priority: 80, fault: false }]]);
    expect(show(step(m, { type: 'advertTimerFired' }, 5609).effects)).toEqual(['sendAdvert:80']);
    const owner = run(reach('master', { priority: 255 }), [[5000, { type: 'trackerChanged', priority: 200, fault: false }]]);
    expect(owner.priority).toBe(255);
  });

  it('a backup whose priority rises above the master preempts via its down timer', () => {
    let s = run(reach('backup'), [[2000, adv(120, '10.0.0.9')]]);
    s = run(s, [[2500, { type: 'trackerChanged', priority: 150, fault: false }], [3000, adv(120, '10.0.0.9')]]);
    expect(s.masterDownTimerAt).toBe(2000 + 3609); // the 3000 advert was ignored
  });

  it('the owner faults on a weight-0 failure and returns straight to master on recovery', () => {
    const m = reach('master', { priority: 255 });
    const f = step(m, { type: 'trackerChanged', priority: 255, fault: true }, 5000);
    expect(show(f.effects)).toEqual(['removeVips', 'sendAdvert:0', 'transition:master>fault:tracked_object_failed']);
    const r = step(f.state, { type: 'trackerChanged', priority: 255, fault: false }, 6000);
    expect(show(r.effects)).toEqual(['transition:fault>master:tracked_object_recovered', 'addVips', 'sendAdvert:255', 'sendGarp:5:become_master']);
  });

  it('stays in FAULT until every cause clears, and names the last one', () => {
    let s = reach('backup');
    s = run(s, [[2000, { type: 'interfaceDown' }], [2100, { type: 'trackerChanged', priority: 100, fault: true }]]);
    const up = step(s, { type: 'interfaceUp' }, 3000);
    expect(up.state.state).toBe('fault');
    expect(up.effects).toEqual([]);
    const rec = step(up.state, { type: 'trackerChanged', priority: 100, fault: false }, 4000);
    expect(show(rec.effects)).toEqual(['transition:fault>backup:tracked_object_recovered']);
    expect(rec.state.masterDownTimerAt).toBe(4000 + 3609);
  });

  it('leaving FAULT forgets the learnt interval (v3) and the old master', () => {
    let s = run(reach('backup'), [[2000, adv(200, '10.0.0.9', 3000)]]);
    expect(s.masterAdverIntervalMs).toBe(3000);
    s = run(s, [[2500, { type: 'interfaceDown' }], [2600, { type: 'interfaceUp' }]]);
    expect(s.masterAdverIntervalMs).toBe(1000);
    expect(s.masterAddress).toBeNull();
    expect(s.masterDownTimerAt).toBe(2600 + 3609);
  });

  it('interface down on the master removes VIPs without a priority-0 advert (it cannot be sent)', () => {
    expect(show(step(reach('master'), { type: 'interfaceDown' }, 5000).effects)).toEqual(['removeVips', 'transition:master>fault:interface_down']);
  });
});

describe('purity and counters', () => {
  it('never mutates its input and returns a new state object', () => {
    const events: VrrpEvent[] = [
      { type: 'startup' }, adv(200, '10.0.0.9'), adv(0, '10.0.0.9'), { type: 'advertRejected', reason: 'ttl' },
      { type: 'masterDownTimerFired' }, { type: 'advertTimerFired' }, { type: 'garpTimerFired' }, { type: 'shutdown' },
    ];
    let s: InstanceState = deepFreeze(createInstance(config()));
    let t = 0;
    for (const e of events) {
      t += 1000;
      const r = step(s, e, s.masterDownTimerAt ?? t);
      expect(r.state).not.toBe(s);
      s = deepFreeze(r.state);
    }
    expect(s.state).toBe('stopped');
  });

  it('counts adverts, priority-0 adverts, drops by reason and transitions', () => {
    let s = reach('backup');
    s = run(s, [
      [2000, adv(200, '10.0.0.9')],
      [2100, adv(0, '10.0.0.9')],
      [2200, { type: 'advertRejected', reason: 'ttl' }],
      [2300, { type: 'advertRejected', reason: 'ttl' }],
      [2400, { type: 'advertRejected', reason: 'addr_list' }],
    ]);
    s = run(s, [[s.masterDownTimerAt!, { type: 'masterDownTimerFired' }], [5000, { type: 'shutdown' }]]);
    expect(s.counters).toMatchObject({ advertsRx: 2, priorityZeroRx: 1, advertsTx: 2, priorityZeroTx: 1, transitions: 3 });
    expect(s.counters.drops).toMatchObject({ ttl: 2, addr_list: 1, checksum: 0 });
    expect(s.lastTransition).toEqual({ from: 'master', to: 'stopped', reason: 'shutdown', at: 5000 });
  });
});

describe('sync group: a member re-announces when another heard a lower priority', () => {
  it('syncGroupLowerPrio: a master sends its lower_prio burst (once per delay); a backup does nothing', () => {
    const garp = { masterRepeat: 5, masterDelayMs: 0, masterRefreshMs: 0, masterRefreshRepeat: 1, lowerPrioDelayMs: 2000, lowerPrioRepeat: 3 };
    const m = step(reach('master', { garp }), { type: 'syncGroupLowerPrio' }, 6000);
    expect(show(m.effects)).toEqual(['sendGarp:3:lower_prio']);
    expect(show(step(m.state, { type: 'syncGroupLowerPrio' }, 6100).effects)).toEqual([]);
    expect(show(step(reach('backup', { garp }), { type: 'syncGroupLowerPrio' }, 6000).effects)).toEqual([]);
  });

  it('syncGroupLowerPrioFollow: only the trigger\'s own lower-priority burst makes the other masters follow', () => {
    const members = [{ name: 'VI_OUT', state: reach('master') }, { name: 'VI_IN', state: reach('master') }, { name: 'VI_X', state: reach('backup') }];
    expect(syncGroupLowerPrioFollow(members, 'VI_IN', [{ type: 'sendGarp', count: 5, kind: 'lower_prio' }])).toEqual([{ name: 'VI_OUT', event: { type: 'syncGroupLowerPrio' } }]);
    expect(syncGroupLowerPrioFollow(members, 'VI_IN', [{ type: 'sendGarp', count: 5, kind: 'lower_prio_delay' }])).toEqual([]);
    expect(syncGroupLowerPrioFollow(members, 'VI_IN', [{ type: 'sendGarp', count: 5, kind: 'become_master' }])).toEqual([]);
  });
});
