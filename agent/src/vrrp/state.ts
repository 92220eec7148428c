/**
 * Types of the VRRP instance state machine: config, state, events, effects, counters.
 * The machine itself is fsm.ts (events) and transition.ts (the single place state changes).
 *
 * Everything here is plain data. Timers are deadlines (ms on the caller's monotonic clock)
 * kept in the state; the shell asks {@link nextDeadline} when to call back and then feeds the
 * matching timer event (or uses `fireDueTimers`).
 */
import { canonicalAddress, type AddressFamily } from './addr.ts';
import { DROP_REASONS, type DropReason, type VrrpVersion } from './packet.ts';

/**
 * RFC states plus keepalived's FAULT. 'initialize' is before `startup`; 'stopped' is after
 * `shutdown` (RFC 5798 returns to Initialize; we keep the two apart so status can say which).
 */
export type VrrpStateName = 'initialize' | 'backup' | 'master' | 'fault' | 'stopped';

/** Why a transition happened; becomes the audit-log event's reason. */
export type TransitionReason =
  | 'startup'
  | 'shutdown'
  /** The instance leaves because a reload changed its identity (VRID, interface, version, family). */
  | 'reload'
  | 'higher_priority_advert'
  | 'master_down_timer'
  | 'priority_zero_received'
  | 'preempt'
  | 'tracked_object_failed'
  | 'tracked_object_recovered'
  | 'interface_down'
  | 'interface_up'
  | 'admin_request'
  | 'sync_group';

/** keepalived GARP / unsolicited-NA timing (global vrrp_garp_* or per-instance garp_*). */
export interface GarpConfig {
  /** Packets per VIP sent on becoming master (`garp_master_repeat`, default 5). */
  masterRepeat: number;
  /** Delay of the second burst after becoming master (`garp_master_delay`, default 5 s; 0 = none). */
  masterDelayMs: number;
  /** Periodic refresh while master (`garp_master_refresh`, 0 = off). */
  masterRefreshMs: number;
  /** Packets per VIP per refresh (`garp_master_refresh_repeat`, default 1). */
  masterRefreshRepeat: number;
  /** Re-GARP after hearing a lower-priority advert (`garp_lower_prio_delay`, default = masterDelayMs). */
  lowerPrioDelayMs: number;
  /** Packets per VIP for that (`garp_lower_prio_repeat`; 0 = off, the default). */
  lowerPrioRepeat: number;
}

export const DEFAULT_GARP: GarpConfig = {
  masterRepeat: 5,
  masterDelayMs: 5000,
  masterRefreshMs: 0,
  masterRefreshRepeat: 1,
  lowerPrioDelayMs: 5000,
  lowerPrioRepeat: 0,
};

/** What the state machine needs from one vrrp_instance. */
export interface InstanceConfig {
  name: string;
  version: VrrpVersion;
  family: AddressFamily;
  vrid: number;
  /** Configured priority 1..255; tracking adjusts it via `trackerChanged`. */
  priority: number;
  /** Advertisement_Interval. v2: whole seconds; v3: whole centiseconds. */
  advertIntervalMs: number;
  /** Source of our adverts (IPv6: link-local); used for the equal-priority tie-break. */
  primaryAddress: string;
  /** RFC Preempt_Mode; keepalived `nopreempt` = false. Default true. */
  preempt: boolean;
  /** keepalived `preempt_delay`: no preemption until this long after startup / interface up. */
  preemptDelayMs: number;
  /** keepalived `lower_prio_no_advert`: master stays silent on a lower-priority advert (pre-RFC 9568). */
  lowerPrioNoAdvert: boolean;
  /** keepalived `higher_prio_send_advert`: master sends one more advert before yielding. */
  higherPrioSendAdvert: boolean;
  /** keepalived `down_timer_adverts` (default 3). */
  downTimerAdverts: number;
  garp: GarpConfig;
}

/** Per-instance counters (FRR's `stats`), reported on the agent heartbeat. */
export interface Counters {
  advertsRx: number;
  advertsTx: number;
  priorityZeroRx: number;
  priorityZeroTx: number;
  garpBurstsTx: number;
  transitions: number;
  /** Transitions into MASTER / out of MASTER (keepalived's become_master / release_master). */
  becomeMaster: number;
  releaseMaster: number;
  drops: Record<DropReason, number>;
}

/** A scheduled GARP/NA burst. */
export interface GarpDeadline {
  at: number;
  count: number;
  kind: GarpKind;
}

/**
 * `lower_prio`: the burst a master sends at once on hearing a lower priority (or on a sync-group
 * member's behalf); `lower_prio_delay`: the one garp_lower_prio_delay later.
 */
export type GarpKind = 'become_master' | 'master_delay' | 'refresh' | 'lower_prio' | 'lower_prio_delay';

export interface InstanceState {
  readonly config: InstanceConfig;
  state: VrrpStateName;
  /** Effective priority after tracking (255 for the owner, always). */
  priority: number;
  /** A weight-0 tracked object is down. */
  trackFault: boolean;
  interfaceUp: boolean;
  /** Another sync-group member is faulted (sync-group.ts). */
  groupFault: boolean;
  /** RFC 5798 Master_Adver_Interval: local interval until learnt from the master (v3). */
  masterAdverIntervalMs: number;
  masterDownTimerAt: number | null;
  /** What the transition will be called if the down timer fires (audit-log reason). */
  masterDownReason: 'master_down_timer' | 'priority_zero_received' | 'preempt';
  advertTimerAt: number | null;
  /** Pending GARP bursts, sorted by `at`. */
  garpAt: GarpDeadline[];
  /** No preemption before this time (preempt_delay). */
  preemptAllowedAt: number;
  /** Source address of the last accepted advert from another router. */
  masterAddress: string | null;
  /** Last priority heard from that router. */
  masterPriority: number | null;
  lastTransition: { from: VrrpStateName; to: VrrpStateName; reason: TransitionReason; at: number } | null;
  counters: Counters;
}

export type VrrpEvent =
  | { type: 'startup' }
  | { type: 'shutdown'; reason?: 'reload' }
  /** An advert that passed validate.ts. */
  | { type: 'advertReceived'; advert: { priority: number; advertIntervalMs: number }; srcAddress: string }
  /** An advert that failed decode/validate: counted, never acted on. */
  | { type: 'advertRejected'; reason: DropReason }
  | { type: 'masterDownTimerFired' }
  | { type: 'advertTimerFired' }
  | { type: 'garpTimerFired' }
  /** New result of priority.ts `effectivePriority`. */
  | { type: 'trackerChanged'; priority: number; fault: boolean }
  | { type: 'interfaceDown' }
  | { type: 'interfaceUp' }
  /** Operator asks this node to take over now, or to hand over (priority-0 advert). */
  | { type: 'adminRequest'; target: 'master' | 'backup' }
  /** From sync-group.ts: follow the group. */
  | { type: 'syncGroup'; target: 'master' | 'backup' }
  | { type: 'syncGroupFault'; fault: boolean }
  /**
   * From sync-group.ts: another member heard a lower-priority master and re-announced its VIPs;
   * this one (if master) re-announces its own, since the hosts that followed the loser on this
   * member's segment are as stale (keepalived vrrp_state_master_rx does it for the group).
   */
  | { type: 'syncGroupLowerPrio' };

export type Effect =
  /** Build (packet.ts) and send one advert with this priority (0 = leaving). */
  | { type: 'sendAdvert'; priority: number }
  /** Add every VIP (idempotently: replace, not add). */
  | { type: 'addVips' }
  | { type: 'removeVips' }
  /** Send `count` gratuitous ARPs / unsolicited NAs per VIP, paced by the shell. */
  | { type: 'sendGarp'; count: number; kind: GarpKind }
  /** One per state change; drives notify scripts/FIFOs and the audit log. */
  | { type: 'transition'; from: VrrpStateName; to: VrrpStateName; reason: TransitionReason; priority: number; at: number };

export interface StepResult {
  state: InstanceState;
  effects: Effect[];
}

function zeroDrops(): Record<DropReason, number> {
  return Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>;
}

/**
 * A fresh instance in 'initialize'. Throws with the instance name and field on values the
 * wire cannot carry; config parsing should have caught them, so this is a programmer error.
 */
export function createInstance(config: InstanceConfig): InstanceState {
  checkInstanceConfig(config);
  return {
    config,
    state: 'initialize',
    priority: config.priority,
    trackFault: false,
    interfaceUp: true,
    groupFault: false,
    masterAdverIntervalMs: config.advertIntervalMs,
    masterDownTimerAt: null,
    masterDownReason: 'master_down_timer',
    advertTimerAt: null,
    garpAt: [],
    preemptAllowedAt: 0,
    masterAddress: null,
    masterPriority: null,
    lastTransition: null,
    counters: { advertsRx: 0, advertsTx: 0, priorityZeroRx: 0, priorityZeroTx: 0, garpBurstsTx: 0, transitions: 0, becomeMaster: 0, releaseMaster: 0, drops: zeroDrops() },
  };
}

/** Throws a RangeError naming the instance and field for a value the wire cannot carry. */
export function checkInstanceConfig(config: InstanceConfig): void {
  const bad = (field: string, why: string): never => {
    throw new RangeError(`vrrp_instance ${config.name}: ${field} ${why}`);
  };
  if (!Number.isInteger(config.vrid) || config.vrid < 1 || config.vrid > 255) bad('virtual_router_id', `${config.vrid} is outside 1..255`);
  if (!Number.isInteger(config.priority) || config.priority < 1 || config.priority > 255) bad('priority', `${config.priority} is outside 1..255`);
  if (config.version === 2 && config.family === 'ipv6') bad('version', '2 cannot carry IPv6 (RFC 3768); use version 3');
  const unit = config.version === 2 ? 1000 : 10;
  if (!(config.advertIntervalMs > 0) || config.advertIntervalMs % unit !== 0 || config.advertIntervalMs / unit > (config.version === 2 ? 255 : 4095)) {
    bad('advert_int', `${config.advertIntervalMs} ms cannot be sent in VRRPv${config.version} (${config.version === 2 ? 'whole seconds 1..255' : 'centiseconds 1..4095'})`);
  }
  if (canonicalAddress(config.family, config.primaryAddress) === null) bad('primary address', `"${config.primaryAddress}" is not ${config.family}`);
  if (!Number.isInteger(config.downTimerAdverts) || config.downTimerAdverts < 1 || config.downTimerAdverts > 100) bad('down_timer_adverts', `${config.downTimerAdverts} is outside 1..100`);
}

/** Earliest pending deadline, or null when nothing is scheduled. */
export function nextDeadline(s: InstanceState): number | null {
  const all = [s.masterDownTimerAt, s.advertTimerAt, s.garpAt[0]?.at ?? null].filter((x): x is number => x !== null);
  return all.length === 0 ? null : Math.min(...all);
}

/** True when something keeps the instance in FAULT. */
export function isFaulted(s: InstanceState): boolean {
  return s.trackFault || !s.interfaceUp || s.groupFault;
}
