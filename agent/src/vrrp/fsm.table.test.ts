/**
 * Every state × every event. Each row names the state the instance ends in and the exact
 * effects, in order. Timer events are delivered at their deadline when the state has one
 * (so "due" is exercised), otherwise at the common time T.
 */
import { describe, expect, it } from 'vitest';
import { step } from './fsm.ts';
import { deepFreeze, reach, show } from './fsm.test-helpers.ts';
import type { InstanceState, VrrpEvent, VrrpStateName } from './state.ts';

const T = 5000;

// Local router: priority 100, primary 10.0.0.5.
const EVENTS: Record<string, VrrpEvent> = {
  startup: { type: 'startup' },
  shutdown: { type: 'shutdown' },
  advHigher: { type: 'advertReceived', advert: { priority: 200, advertIntervalMs: 1000 }, srcAddress: '10.0.0.9' },
  advEqualHigherIp: { type: 'advertReceived', advert: { priority: 100, advertIntervalMs: 1000 }, srcAddress: '10.0.0.9' },
  advEqualLowerIp: { type: 'advertReceived', advert: { priority: 100, advertIntervalMs: 1000 }, srcAddress: '10.0.0.1' },
  advLower: { type: 'advertReceived', advert: { priority: 50, advertIntervalMs: 1000 }, srcAddress: '10.0.0.9' },
  advZero: { type: 'advertReceived', advert: { priority: 0, advertIntervalMs: 1000 }, srcAddress: '10.0.0.9' },
  rejected: { type: 'advertRejected', reason: 'checksum' },
  masterDownTimer: { type: 'masterDownTimerFired' },
  advertTimer: { type: 'advertTimerFired' },
  garpTimer: { type: 'garpTimerFired' },
  trackerPriority: { type: 'trackerChanged', priority: 120, fault: false },
  trackerFault: { type: 'trackerChanged', priority: 100, fault: true },
  interfaceDown: { type: 'interfaceDown' },
  interfaceUp: { type: 'interfaceUp' },
  adminMaster: { type: 'adminRequest', target: 'master' },
  adminBackup: { type: 'adminRequest', target: 'backup' },
  syncMaster: { type: 'syncGroup', target: 'master' },
  syncBackup: { type: 'syncGroup', target: 'backup' },
  syncFault: { type: 'syncGroupFault', fault: true },
  syncFaultClear: { type: 'syncGroupFault', fault: false },
};
type EventName = keyof typeof EVENTS;

const BECOME_MASTER = ['addVips', 'sendAdvert:100', 'sendGarp:5:become_master'];
const none = (s: VrrpStateName): [VrrpStateName, string[]] => [s, []];

const TABLE: Record<VrrpStateName, Record<EventName, [VrrpStateName, string[]]>> = {
  initialize: {
    startup: ['backup', ['transition:initialize>backup:startup']],
    shutdown: none('initialize'),
    advHigher: none('initialize'),
    advEqualHigherIp: none('initialize'),
    advEqualLowerIp: none('initialize'),
    advLower: none('initialize'),
    advZero: none('initialize'),
    rejected: none('initialize'),
    masterDownTimer: none('initialize'),
    advertTimer: none('initialize'),
    garpTimer: none('initialize'),
    trackerPriority: none('initialize'),
    trackerFault: none('initialize'),
    interfaceDown: none('initialize'),
    interfaceUp: none('initialize'),
    adminMaster: none('initialize'),
    adminBackup: none('initialize'),
    syncMaster: none('initialize'),
    syncBackup: none('initialize'),
    syncFault: none('initialize'),
    syncFaultClear: none('initialize'),
  },
  backup: {
    startup: none('backup'),
    shutdown: ['stopped', ['transition:backup>stopped:shutdown']],
    advHigher: none('backup'),
    advEqualHigherIp: none('backup'),
    advEqualLowerIp: none('backup'),
    advLower: none('backup'),
    advZero: none('backup'),
    rejected: none('backup'),
    masterDownTimer: ['master', ['transition:backup>master:master_down_timer', ...BECOME_MASTER]],
    advertTimer: none('backup'),
    garpTimer: none('backup'),
    trackerPriority: none('backup'),
    trackerFault: ['fault', ['transition:backup>fault:tracked_object_failed']],
    interfaceDown: ['fault', ['transition:backup>fault:interface_down']],
    interfaceUp: none('backup'),
    adminMaster: ['master', ['transition:backup>master:admin_request', ...BECOME_MASTER]],
    adminBackup: none('backup'),
    syncMaster: ['master', ['transition:backup>master:sync_group', ...BECOME_MASTER]],
    syncBackup: none('backup'),
    syncFault: ['fault', ['transition:backup>fault:sync_group']],
    syncFaultClear: none('backup'),
  },
  master: {
    startup: none('master'),
    shutdown: ['stopped', ['removeVips', 'sendAdvert:0', 'transition:master>stopped:shutdown']],
    advHigher: ['backup', ['removeVips', 'transition:master>backup:higher_priority_advert']],
    advEqualHigherIp: ['backup', ['removeVips', 'transition:master>backup:higher_priority_advert']],
    advEqualLowerIp: ['master', ['sendAdvert:100']],
    advLower: ['master', ['sendAdvert:100']],
    advZero: ['master', ['sendAdvert:100']],
    rejected: none('master'),
    masterDownTimer: none('master'),
    advertTimer: ['master', ['sendAdvert:100']],
    garpTimer: ['master', ['sendGarp:5:master_delay']],
    trackerPriority: none('master'),
    trackerFault: ['fault', ['removeVips', 'sendAdvert:0', 'transition:master>fault:tracked_object_failed']],
    interfaceDown: ['fault', ['removeVips', 'transition:master>fault:interface_down']],
    interfaceUp: none('master'),
    adminMaster: none('master'),
    adminBackup: ['backup', ['removeVips', 'sendAdvert:0', 'transition:master>backup:admin_request']],
    syncMaster: none('master'),
    syncBackup: ['backup', ['removeVips', 'sendAdvert:0', 'transition:master>backup:sync_group']],
    syncFault: ['fault', ['removeVips', 'sendAdvert:0', 'transition:master>fault:sync_group']],
    syncFaultClear: none('master'),
  },
  fault: {
    startup: none('fault'),
    shutdown: ['stopped', ['transition:fault>stopped:shutdown']],
    advHigher: none('fault'),
    advEqualHigherIp: none('fault'),
    advEqualLowerIp: none('fault'),
    advLower: none('fault'),
    advZero: none('fault'),
    rejected: none('fault'),
    masterDownTimer: none('fault'),
    advertTimer: none('fault'),
    garpTimer: none('fault'),
    trackerPriority: none('fault'),
    trackerFault: none('fault'),
    interfaceDown: none('fault'),
    interfaceUp: ['backup', ['transition:fault>backup:interface_up']],
    adminMaster: none('fault'),
    adminBackup: none('fault'),
    syncMaster: none('fault'),
    syncBackup: none('fault'),
    syncFault: none('fault'),
    syncFaultClear: none('fault'),
  },
  stopped: {
    startup: ['backup', ['transition:stopped>backup:startup']],
    shutdown: none('stopped'),
    advHigher: none('stopped'),
    advEqualHigherIp: none('stopped'),
    advEqualLowerIp: none('stopped'),
    advLower: none('stopped'),
    advZero: none('stopped'),
    rejected: none('stopped'),
    masterDownTimer: none('stopped'),
    advertTimer: none('stopped'),
    garpTimer: none('stopped'),
    trackerPriority: none('stopped'),
    trackerFault: none('stopped'),
    interfaceDown: none('stopped'),
    interfaceUp: none('stopped'),
    adminMaster: none('stopped'),
    adminBackup: none('stopped'),
    syncMaster: none('stopped'),
    syncBackup: none('stopped'),
    syncFault: none('stopped'),
    syncFaultClear: none('stopped'),
  },
};

function timeFor(s: InstanceState, e: VrrpEvent): number {
  if (e.type === 'masterDownTimerFired') return s.masterDownTimerAt ?? T;
  if (e.type === 'advertTimerFired') return s.advertTimerAt ?? T;
  if (e.type === 'garpTimerFired') return s.garpAt[0]?.at ?? T;
  return T;
}

const rows = (Object.keys(TABLE) as VrrpStateName[]).flatMap((state) =>
  (Object.keys(EVENTS) as EventName[]).map((event) => {
    const [to, effects] = TABLE[state][event]!;
    return { state, event, to, effects };
  }),
);

describe('FSM: every state × event', () => {
  it('covers all 5 states × 21 events', () => {
    expect(rows).toHaveLength(5 * 21);
  });

  it.each(rows)('$state + $event → $to', ({ state, event, to, effects }) => {
    const before = deepFreeze(reach(state));
    expect(before.state).toBe(state);
    const e = EVENTS[event]!;
    const r = step(before, e, timeFor(before, e));
    expect(r.state.state).toBe(to);
    expect(show(r.effects)).toEqual(effects);
    // Invariants after every step: timers only run in the states that own them.
    expect(r.state.masterDownTimerAt !== null).toBe(r.state.state === 'backup');
    expect(r.state.advertTimerAt !== null).toBe(r.state.state === 'master');
    if (r.state.state !== 'master') expect(r.state.garpAt).toEqual([]);
    // The choke point counts every transition exactly once.
    const transitions = r.effects.filter((x) => x.type === 'transition').length;
    expect(r.state.counters.transitions).toBe(before.counters.transitions + transitions);
    // Adverts tx counter follows the effects.
    const sent = r.effects.filter((x) => x.type === 'sendAdvert').length;
    expect(r.state.counters.advertsTx).toBe(before.counters.advertsTx + sent);
  });
});
