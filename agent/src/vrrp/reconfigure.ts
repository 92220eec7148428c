/**
 * A running instance's config changed in place (reload): the instance keeps its state, its
 * timers and the master it knows; only what the new config says differently takes effect.
 * Pure, like `step`. Identity (VRID, version, family) cannot change here: another VRID is
 * another virtual router, which the runtime restarts (runtime/diff.ts).
 *
 * - Base priority: the effective one is recomputed by the caller from the trackers right after
 *   (a `trackerChanged` event); only the owner rule is applied here: 255 is fixed (RFC 5798
 *   §5.2.4), and an instance that stops being the owner starts from its new base.
 * - Advert interval: a master keeps the instant of its next advert and uses the new interval
 *   after it, so it never sends two adverts closer than the old interval would have; a v2 backup
 *   expects the new interval (RFC 3768 §7.1 compares them), a v3 backup keeps the one it learnt
 *   from the master (RFC 5798 §6.4.2) until the master's next advert.
 * - GARP: a master's pending periodic refresh follows the new `garp_master_refresh`.
 * - Everything else (preempt, preempt_delay, lower-priority GARPs, down_timer_adverts) is read
 *   from the config when next used.
 */
import { copy } from './fsm.ts';
import { checkInstanceConfig, type InstanceConfig, type InstanceState, type StepResult } from './state.ts';
import { scheduleGarp } from './transition.ts';

export function reconfigure(state: InstanceState, config: InstanceConfig, now: number): StepResult {
  const old = state.config;
  if (config.vrid !== old.vrid || config.version !== old.version || config.family !== old.family) {
    throw new RangeError(`vrrp_instance ${old.name}: VRID, version and family cannot change in place (restart the instance)`);
  }
  checkInstanceConfig(config);
  const s: InstanceState = { ...copy(state), config };
  if (config.priority === 255) s.priority = 255;
  else if (old.priority === 255) s.priority = config.priority;
  if (config.advertIntervalMs !== old.advertIntervalMs) {
    if (s.state !== 'backup' || config.version === 2) s.masterAdverIntervalMs = config.advertIntervalMs;
    if (s.state === 'master' && s.advertTimerAt !== null) s.advertTimerAt = Math.min(s.advertTimerAt, now + config.advertIntervalMs);
  }
  if (s.state === 'master' && config.garp.masterRefreshMs !== old.garp.masterRefreshMs) {
    s.garpAt = s.garpAt.filter((g) => g.kind !== 'refresh');
    if (config.garp.masterRefreshMs > 0) scheduleGarp(s, { at: now + config.garp.masterRefreshMs, count: config.garp.masterRefreshRepeat, kind: 'refresh' });
  }
  return { state: s, effects: [] };
}
