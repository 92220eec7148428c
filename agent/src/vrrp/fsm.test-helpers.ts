/**
 * Shared fixtures for the FSM tests (not a test file itself): a base config, ways to reach
 * each state, and a compact rendering of effects for table assertions.
 */
import { createInstance, DEFAULT_GARP, type Effect, type InstanceConfig, type InstanceState, type VrrpEvent, type VrrpStateName } from './state.ts';
import { step } from './fsm.ts';

export function config(over: Partial<InstanceConfig> = {}): InstanceConfig {
  return {
    name: 'VI_1',
    version: 3,
    family: 'ipv4',
    vrid: 1,
    priority: 100,
    advertIntervalMs: 1000,
    primaryAddress: '10.0.0.5',
    preempt: true,
    preemptDelayMs: 0,
    lowerPrioNoAdvert: false,
    higherPrioSendAdvert: false,
    downTimerAdverts: 3,
    garp: { ...DEFAULT_GARP },
    ...over,
  };
}

/** Applies events in order, each at its own time; returns the final state. */
export function run(s: InstanceState, events: Array<[number, VrrpEvent]>): InstanceState {
  for (const [at, e] of events) s = step(s, e, at).state;
  return s;
}

/** An instance in `name`, reached the way a real one would get there. */
export function reach(name: VrrpStateName, over: Partial<InstanceConfig> = {}): InstanceState {
  const s = createInstance(config(over));
  switch (name) {
    case 'initialize':
      return s;
    case 'backup':
      return run(s, [[1000, { type: 'startup' }]]);
    case 'master': {
      const b = reach('backup', over);
      return run(b, [[b.masterDownTimerAt!, { type: 'masterDownTimerFired' }]]);
    }
    case 'fault':
      return run(reach('backup', over), [[2000, { type: 'interfaceDown' }]]);
    case 'stopped':
      return run(reach('backup', over), [[2000, { type: 'shutdown' }]]);
  }
}

/** `transition:backup>master:master_down_timer`, `sendAdvert:100`, `sendGarp:5:become_master`, `addVips`. */
export function show(effects: readonly Effect[]): string[] {
  return effects.map((e) => {
    switch (e.type) {
      case 'transition':
        return `transition:${e.from}>${e.to}:${e.reason}`;
      case 'sendAdvert':
        return `sendAdvert:${e.priority}`;
      case 'sendGarp':
        return `sendGarp:${e.count}:${e.kind}`;
      default:
        return e.type;
    }
  });
}

/** Recursively freezes a state so a test fails if `step` mutates its input. */
export function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}
