/**
 * The single place an instance changes state (FRR's `vrrp_change_state`): it runs the exit
 * actions of the old state and the entry actions of the new one, emits the `transition`
 * effect (notify + audit log) and bumps the counters. Handlers in fsm.ts decide *whether* to
 * change state; this file decides *what changing state does*.
 */
import type { Effect, GarpDeadline, InstanceState, TransitionReason, VrrpStateName } from './state.ts';
import { masterDownIntervalMs } from './timers.ts';

/** Mutable working context of one `step` call (the state is a private copy). */
export interface StepCtx {
  s: InstanceState;
  now: number;
  effects: Effect[];
}

/** Emits one advert and counts it. */
export function sendAdvert(ctx: StepCtx, priority: number): void {
  ctx.effects.push({ type: 'sendAdvert', priority });
  ctx.s.counters.advertsTx++;
  if (priority === 0) ctx.s.counters.priorityZeroTx++;
}

/** Emits one GARP/NA burst and counts it. */
export function sendGarp(ctx: StepCtx, g: Omit<GarpDeadline, 'at'>): void {
  if (g.count <= 0) return;
  ctx.effects.push({ type: 'sendGarp', count: g.count, kind: g.kind });
  ctx.s.counters.garpBurstsTx++;
}

/** Adds a GARP deadline, keeping the list sorted. */
export function scheduleGarp(s: InstanceState, g: GarpDeadline): void {
  if (g.count <= 0) return;
  s.garpAt = [...s.garpAt, g].sort((a, b) => a.at - b.at);
}

/** (Re)arms the Master_Down_Timer from the current Master_Adver_Interval (RFC 5798 §6.4.2). */
export function armMasterDownTimer(ctx: StepCtx): void {
  const { s, now } = ctx;
  const c = s.config;
  s.masterDownTimerAt = now + masterDownIntervalMs(c.version, s.priority, s.masterAdverIntervalMs, c.downTimerAdverts);
  s.masterDownReason = 'master_down_timer';
}

/**
 * Leaving MASTER for anything but a higher-priority router means nobody else knows yet:
 * send priority 0 (RFC 5798 §6.4.3 "Shutdown"; keepalived does the same on FAULT) so the best
 * backup takes over after Skew_Time instead of Master_Down_Interval. Not possible when the
 * interface is down.
 */
function leavingMasterSendsPriorityZero(to: VrrpStateName, reason: TransitionReason, interfaceUp: boolean): boolean {
  if (!interfaceUp || reason === 'interface_down') return false;
  if (to === 'backup') return reason === 'admin_request' || reason === 'sync_group';
  return true;
}

/** Applies a state change. A change to the current state is a no-op. */
export function changeState(ctx: StepCtx, to: VrrpStateName, reason: TransitionReason): void {
  const { s, now } = ctx;
  const from = s.state;
  if (from === to) return;

  // Exit actions.
  if (from === 'master') {
    s.advertTimerAt = null;
    s.garpAt = [];
    ctx.effects.push({ type: 'removeVips' });
    if (leavingMasterSendsPriorityZero(to, reason, s.interfaceUp)) sendAdvert(ctx, 0);
  }
  if (from === 'backup') s.masterDownTimerAt = null;

  s.state = to;
  s.counters.transitions++;
  if (to === 'master') s.counters.becomeMaster++;
  if (from === 'master') s.counters.releaseMaster++;
  s.lastTransition = { from, to, reason, at: now };
  ctx.effects.push({ type: 'transition', from, to, reason, priority: s.priority, at: now });

  // Entry actions.
  switch (to) {
    case 'master': {
      // RFC 5798 §6.4.1/§6.4.2: send an advert, announce the VIPs, start the Adver_Timer.
      const g = s.config.garp;
      ctx.effects.push({ type: 'addVips' });
      sendAdvert(ctx, s.priority);
      sendGarp(ctx, { count: g.masterRepeat, kind: 'become_master' });
      // keepalived's second burst (garp_master_delay) and periodic refresh: hosts and switches
      // that missed the first burst, or aged the entry out, relearn the VIP.
      if (g.masterDelayMs > 0) scheduleGarp(s, { at: now + g.masterDelayMs, count: g.masterRepeat, kind: 'master_delay' });
      if (g.masterRefreshMs > 0) scheduleGarp(s, { at: now + g.masterRefreshMs, count: g.masterRefreshRepeat, kind: 'refresh' });
      s.advertTimerAt = now + s.config.advertIntervalMs;
      s.masterAddress = null;
      s.masterPriority = null;
      break;
    }
    case 'backup':
      armMasterDownTimer(ctx);
      break;
    default:
      // fault, stopped, initialize: no timers run; the master we knew is forgotten.
      s.masterDownTimerAt = null;
      s.advertTimerAt = null;
      s.garpAt = [];
      s.masterAddress = null;
      s.masterPriority = null;
      s.masterAdverIntervalMs = s.config.advertIntervalMs;
  }
}
