/**
 * The VRRP instance state machine as a pure function:
 *
 *   step(state, event, now) -> { state, effects }
 *
 * RFC 3768 §6.4 / RFC 5798 §6.4 / RFC 9568 §6.4, with keepalived's FAULT state and knobs
 * (nopreempt, preempt_delay, lower_prio_no_advert, higher_prio_send_advert, GARP timing).
 * `state` is never mutated; `now` is ms on a monotonic clock. Timer events whose deadline is
 * not due (a stale callback) do nothing, so the shell may call back early or twice safely.
 */
import { compareAddresses } from './addr.ts';
import { isFaulted, type InstanceState, type StepResult, type TransitionReason, type VrrpEvent } from './state.ts';
import { armMasterDownTimer, changeState, scheduleGarp, sendAdvert, sendGarp, type StepCtx } from './transition.ts';
import { skewTimeMs } from './timers.ts';

/** A private copy of the state for one step (the caller's is never mutated). */
export function copy(s: InstanceState): InstanceState {
  return { ...s, garpAt: [...s.garpAt], counters: { ...s.counters, drops: { ...s.counters.drops } } };
}

/** Advances one instance by one event. */
export function step(state: InstanceState, event: VrrpEvent, now: number): StepResult {
  const ctx: StepCtx = { s: copy(state), now, effects: [] };
  const s = ctx.s;
  switch (event.type) {
    case 'startup':
      if (s.state === 'initialize' || s.state === 'stopped') start(ctx);
      break;
    case 'shutdown':
      if (s.state !== 'initialize' && s.state !== 'stopped') changeState(ctx, 'stopped', event.reason ?? 'shutdown');
      break;
    case 'advertReceived':
      s.counters.advertsRx++;
      if (event.advert.priority === 0) s.counters.priorityZeroRx++;
      if (s.state === 'backup') backupReceive(ctx, event.advert, event.srcAddress);
      else if (s.state === 'master') masterReceive(ctx, event.advert, event.srcAddress);
      break;
    case 'advertRejected':
      s.counters.drops[event.reason]++;
      break;
    case 'masterDownTimerFired':
      if (s.state === 'backup' && due(s.masterDownTimerAt, now)) {
        // RFC 5798 §6.4.2: the master is gone (or outranked, or said priority 0).
        changeState(ctx, 'master', s.masterDownReason);
      }
      break;
    case 'advertTimerFired':
      if (s.state === 'master' && due(s.advertTimerAt, now)) {
        sendAdvert(ctx, s.priority);
        // Next deadline from the one just served, not from `now`: a timer that fires a little
        // late must not push every later advert back (drift would show as interval jitter on
        // the wire). After a long stall (a whole interval missed) restart from now.
        const next = s.advertTimerAt! + s.config.advertIntervalMs;
        s.advertTimerAt = next > now ? next : now + s.config.advertIntervalMs;
      }
      break;
    case 'garpTimerFired':
      if (s.state === 'master') fireGarps(ctx);
      break;
    case 'trackerChanged': {
      const wasFaulted = isFaulted(s);
      // The owner's priority is fixed at 255 (RFC 5798 §5.2.4); only a weight-0 fault affects it.
      if (s.config.priority !== 255) s.priority = event.priority;
      s.trackFault = event.fault;
      settleFault(ctx, wasFaulted, event.fault ? 'tracked_object_failed' : 'tracked_object_recovered');
      break;
    }
    case 'interfaceDown': {
      const wasFaulted = isFaulted(s);
      s.interfaceUp = false;
      settleFault(ctx, wasFaulted, 'interface_down');
      break;
    }
    case 'interfaceUp': {
      const wasFaulted = isFaulted(s);
      s.interfaceUp = true;
      // keepalived: preempt_delay counts from startup *or the interface coming up*.
      s.preemptAllowedAt = now + s.config.preemptDelayMs;
      settleFault(ctx, wasFaulted, 'interface_up');
      break;
    }
    case 'syncGroupFault': {
      const wasFaulted = isFaulted(s);
      s.groupFault = event.fault;
      settleFault(ctx, wasFaulted, 'sync_group');
      break;
    }
    case 'syncGroupLowerPrio':
      if (s.state === 'master') reannounceToLowerPrio(ctx);
      break;
    case 'adminRequest':
    case 'syncGroup': {
      const reason: TransitionReason = event.type === 'adminRequest' ? 'admin_request' : 'sync_group';
      if (event.target === 'master' && s.state === 'backup') changeState(ctx, 'master', reason);
      else if (event.target === 'backup' && s.state === 'master') changeState(ctx, 'backup', reason);
      break;
    }
  }
  return { state: ctx.s, effects: ctx.effects };
}

function due(deadline: number | null, now: number): boolean {
  return deadline !== null && now >= deadline;
}

/** Initialize → Master (owner), Backup, or Fault (RFC 5798 §6.4.1 plus keepalived FAULT). */
function start(ctx: StepCtx): void {
  const { s, now } = ctx;
  s.preemptAllowedAt = now + s.config.preemptDelayMs;
  s.masterAdverIntervalMs = s.config.advertIntervalMs;
  if (isFaulted(s)) changeState(ctx, 'fault', faultReason(s));
  else changeState(ctx, s.priority === 255 ? 'master' : 'backup', 'startup');
}

function faultReason(s: InstanceState): TransitionReason {
  if (!s.interfaceUp) return 'interface_down';
  if (s.trackFault) return 'tracked_object_failed';
  return 'sync_group';
}

/**
 * After a fault input changed: enter FAULT if now faulted, or leave it when every cause has
 * cleared. Leaving FAULT goes to Backup (keepalived), or straight to Master for the owner.
 */
function settleFault(ctx: StepCtx, wasFaulted: boolean, reason: TransitionReason): void {
  const { s } = ctx;
  const faulted = isFaulted(s);
  if (s.state === 'backup' || s.state === 'master') {
    if (faulted) changeState(ctx, 'fault', reason === 'interface_up' || reason === 'tracked_object_recovered' ? faultReason(s) : reason);
  } else if (s.state === 'fault' && wasFaulted && !faulted) {
    s.masterAdverIntervalMs = s.config.advertIntervalMs;
    changeState(ctx, s.priority === 255 ? 'master' : 'backup', reason);
  }
}

interface RxAdvert {
  priority: number;
  advertIntervalMs: number;
}

/** RFC 5798 §6.4.2 "Backup" receiving an ADVERTISEMENT. */
function backupReceive(ctx: StepCtx, adv: RxAdvert, src: string): void {
  const { s, now } = ctx;
  const c = s.config;
  if (adv.priority === 0) {
    // The master is leaving: take over after Skew_Time, so the best backup goes first.
    s.masterDownTimerAt = now + skewTimeMs(c.version, s.priority, s.masterAdverIntervalMs);
    s.masterDownReason = 'priority_zero_received';
    return;
  }
  const preemptHeld = now < s.preemptAllowedAt;
  if (!c.preempt || adv.priority >= s.priority || preemptHeld) {
    // v3 learns the master's interval (§6.4.2); v2 intervals were checked equal in validate.ts.
    if (c.version === 3) s.masterAdverIntervalMs = adv.advertIntervalMs;
    s.masterAddress = src;
    s.masterPriority = adv.priority;
    armMasterDownTimer(ctx);
    return;
  }
  // Preempt is on and we outrank this master: ignore its adverts so our down timer fires.
  s.masterAddress = src;
  s.masterPriority = adv.priority;
  s.masterDownReason = 'preempt';
}

/** RFC 5798 §6.4.3 "Master" receiving an ADVERTISEMENT, with RFC 9568's lower-priority rule. */
function masterReceive(ctx: StepCtx, adv: RxAdvert, src: string): void {
  const { s, now } = ctx;
  const c = s.config;
  if (adv.priority === 0) {
    // Another router is leaving; advertise now so backups see a live master immediately.
    sendAdvert(ctx, s.priority);
    s.advertTimerAt = now + c.advertIntervalMs;
    return;
  }
  const higher = adv.priority > s.priority || (adv.priority === s.priority && compareAddresses(c.family, src, c.primaryAddress) > 0);
  if (higher) {
    if (c.higherPrioSendAdvert) sendAdvert(ctx, s.priority);
    if (c.version === 3) s.masterAdverIntervalMs = adv.advertIntervalMs;
    changeState(ctx, 'backup', 'higher_priority_advert');
    s.masterAddress = src;
    s.masterPriority = adv.priority;
    return;
  }
  // A lower-priority router thinks it is master (split brain healing). RFC 9568 §6.4.3:
  // advertise immediately so it yields and learning bridges relearn the segment.
  if (!c.lowerPrioNoAdvert) sendAdvert(ctx, s.priority);
  reannounceToLowerPrio(ctx);
}

/**
 * The hosts that followed the other master's gratuitous ARP still send to its MAC, and it is
 * about to drop the VIPs: re-announce them now, and once more after garp_lower_prio_delay
 * (keepalived vrrp_state_master_rx does both). Without the first burst clients wait for the
 * delayed one or for their neighbour entry to go stale (15-45 s on Linux). Once per delay: a
 * lower-priority master that keeps advertising does not make a GARP storm.
 */
function reannounceToLowerPrio(ctx: StepCtx): void {
  const { s, now } = ctx;
  const g = s.config.garp;
  if (g.lowerPrioRepeat <= 0 || s.garpAt.some((x) => x.kind === 'lower_prio_delay')) return;
  sendGarp(ctx, { count: g.lowerPrioRepeat, kind: 'lower_prio' });
  if (g.lowerPrioDelayMs > 0) scheduleGarp(s, { at: now + g.lowerPrioDelayMs, count: g.lowerPrioRepeat, kind: 'lower_prio_delay' });
}

function fireGarps(ctx: StepCtx): void {
  const { s, now } = ctx;
  while (s.garpAt.length > 0 && s.garpAt[0]!.at <= now) {
    const [g, ...rest] = s.garpAt;
    s.garpAt = rest;
    sendGarp(ctx, g!);
    if (g!.kind === 'refresh') scheduleGarp(s, { at: now + s.config.garp.masterRefreshMs, count: g!.count, kind: 'refresh' });
  }
}

/**
 * Fires every deadline that is due at `now`, in time order, and returns the combined result.
 * The shell can call this whenever its single timer (set from `nextDeadline`) expires.
 */
export function fireDueTimers(state: InstanceState, now: number): StepResult {
  let s = state;
  const effects: StepResult['effects'] = [];
  for (let guard = 0; guard < 64; guard++) {
    const candidates: Array<[number, VrrpEvent]> = [];
    if (s.masterDownTimerAt !== null) candidates.push([s.masterDownTimerAt, { type: 'masterDownTimerFired' }]);
    if (s.advertTimerAt !== null) candidates.push([s.advertTimerAt, { type: 'advertTimerFired' }]);
    if (s.garpAt[0]) candidates.push([s.garpAt[0].at, { type: 'garpTimerFired' }]);
    const due = candidates.filter(([at]) => at <= now).sort((a, b) => a[0] - b[0])[0];
    if (!due) break;
    const r = step(s, due[1], now);
    effects.push(...r.effects);
    // A deadline that did not move would loop forever; it means a timer in the wrong state.
    if (r.state === s || (r.effects.length === 0 && sameDeadlines(r.state, s))) break;
    s = r.state;
  }
  return { state: s, effects };
}

function sameDeadlines(a: InstanceState, b: InstanceState): boolean {
  return a.masterDownTimerAt === b.masterDownTimerAt && a.advertTimerAt === b.advertTimerAt && a.garpAt.length === b.garpAt.length;
}
