/**
 * The health-check engine: runs every checker on its own schedule, feeds each outcome to the
 * pure checker machine (checker-state.ts), and reports real-server health changes. It is meant
 * to run in a worker thread (worker.ts), never on the thread that sends VRRP adverts: a probe
 * is I/O, but 10,000 of them per second is CPU.
 *
 * Each checker has one timer at a time and at most one attempt in flight; the probe contract
 * (probe.ts) guarantees an attempt resolves within its deadline, so a hung server costs one
 * timeout, never a stuck checker.
 */
import type { Clock, TimerHandle } from '../os/ports.ts';
import { checkerResult, initialChecker, realServerHealth, type CheckerState, type CheckOutcome } from './checker-state.ts';
import type { CheckerPlan } from './plan.ts';

export type ProbeFn = (checker: CheckerPlan['checker'], target: CheckerPlan['target'], opts: { timeoutMs: number; signal: AbortSignal }) => Promise<CheckOutcome>;

export interface RealServerHealth {
  rsKey: string;
  up: boolean;
  weight: number;
  /** Why it is down (the failing checker's last reason), '' when up. */
  reason: string;
}

export interface HealthEnginePorts {
  probe: ProbeFn;
  clock: Clock;
  random?: () => number;
  /** A real server's health (up/down or weight) changed. */
  onChange: (h: RealServerHealth) => void;
}

export interface HealthStats {
  checkers: number;
  attempts: number;
  failures: number;
  inFlight: number;
}

/** Counters of an engine that checks nothing (yet). */
export function noStats(): HealthStats {
  return { checkers: 0, attempts: 0, failures: 0, inFlight: 0 };
}

interface Slot {
  plan: CheckerPlan;
  state: CheckerState;
  timer?: TimerHandle;
  running: boolean;
  /** Dropped by an update: a result still in flight is ignored. */
  removed: boolean;
}

export class HealthEngine {
  private readonly slots = new Map<string, Slot>();
  private byServer = new Map<string, Slot[]>();
  private readonly reported = new Map<string, RealServerHealth>();
  private readonly suspended = new Set<string>();
  private readonly abort = new AbortController();
  private started = false;
  private stopped = false;
  readonly stats: HealthStats = noStats();

  constructor(plans: readonly CheckerPlan[], private readonly ports: HealthEnginePorts) {
    this.place(plans);
  }

  /** Slots for `plans`: existing ones (same id) kept with their state, the others created. */
  private place(plans: readonly CheckerPlan[]): Slot[] {
    const now = this.ports.clock.now();
    const random = this.ports.random ?? Math.random;
    const created: Slot[] = [];
    const byServer = new Map<string, Slot[]>();
    for (const plan of plans) {
      let slot = this.slots.get(plan.id);
      if (slot) slot.plan = plan;
      else {
        slot = { plan, state: initialChecker(plan.timing, now, random()), running: false, removed: false };
        this.slots.set(plan.id, slot);
        created.push(slot);
      }
      const list = byServer.get(plan.rsKey) ?? [];
      list.push(slot);
      byServer.set(plan.rsKey, list);
    }
    this.byServer = byServer;
    this.stats.checkers = plans.length;
    return created;
  }

  /** The starting health of every real server (alpha servers start down). */
  initial(): RealServerHealth[] {
    return [...this.byServer.keys()].map((k) => this.healthOf(k));
  }

  start(): void {
    this.started = true;
    for (const h of this.initial()) this.reported.set(h.rsKey, h);
    for (const slot of this.slots.values()) this.arm(slot);
  }

  /**
   * A reload (keepalived's migrate_checkers): a checker whose plan id is unchanged keeps its
   * state, its timer and any attempt in flight; a new one starts as at startup (warmup, alpha);
   * a dropped one stops. Returns the health of every real server now, and reports (onChange)
   * the servers whose health moved because their set of checkers or weight changed.
   */
  update(plans: readonly CheckerPlan[]): RealServerHealth[] {
    const keep = new Set(plans.map((p) => p.id));
    for (const [id, slot] of this.slots) {
      if (keep.has(id)) continue;
      slot.removed = true;
      slot.timer?.cancel();
      this.slots.delete(id);
    }
    const created = this.place(plans);
    for (const k of [...this.reported.keys()]) if (!this.byServer.has(k)) this.reported.delete(k);
    const now = this.initial();
    if (this.started) {
      for (const h of now) {
        const prev = this.reported.get(h.rsKey);
        this.reported.set(h.rsKey, h);
        if (prev && (prev.up !== h.up || prev.weight !== h.weight)) this.ports.onChange(h);
      }
      for (const slot of created) this.arm(slot);
    }
    return now;
  }

  /** ha_suspend: no checks for virtual server `vsKey` while this director does not hold its VIP. */
  suspend(vsKey: string, suspended: boolean): void {
    if (suspended === this.suspended.has(vsKey)) return;
    if (suspended) this.suspended.add(vsKey);
    else this.suspended.delete(vsKey);
    const now = this.ports.clock.now();
    for (const slot of this.slots.values()) {
      if (slot.plan.vsKey !== vsKey) continue;
      slot.timer?.cancel();
      slot.timer = undefined;
      if (!suspended) {
        // Resume at once: the state may be stale after a suspension of any length.
        slot.state = { ...slot.state, nextAt: now };
        this.arm(slot);
      }
    }
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
    for (const slot of this.slots.values()) slot.timer?.cancel();
  }

  private arm(slot: Slot): void {
    if (this.stopped || !this.started || slot.removed || slot.running || slot.timer || this.suspended.has(slot.plan.vsKey)) return;
    const delay = Math.max(0, slot.state.nextAt - this.ports.clock.now());
    slot.timer = this.ports.clock.setTimeout(() => {
      slot.timer = undefined;
      void this.attempt(slot);
    }, delay);
  }

  private async attempt(slot: Slot): Promise<void> {
    if (this.stopped || slot.removed) return;
    slot.running = true;
    this.stats.inFlight++;
    this.stats.attempts++;
    let outcome: CheckOutcome;
    try {
      outcome = await this.ports.probe(slot.plan.checker, slot.plan.target, { timeoutMs: slot.plan.timeoutMs, signal: this.abort.signal });
    } catch (err) {
      outcome = { ok: false, reason: `probe error: ${(err as Error).message}` };
    }
    this.stats.inFlight--;
    slot.running = false;
    if (this.stopped || slot.removed) return;
    if (!outcome.ok) this.stats.failures++;
    const r = checkerResult(slot.state, outcome, slot.plan.timing, this.ports.clock.now());
    slot.state = r.state;
    const next = this.healthOf(slot.plan.rsKey);
    const prev = this.reported.get(slot.plan.rsKey);
    if (!prev || prev.up !== next.up || prev.weight !== next.weight) {
      this.reported.set(slot.plan.rsKey, next);
      this.ports.onChange(next);
    }
    this.arm(slot);
  }

  private healthOf(rsKey: string): RealServerHealth {
    const slots = this.byServer.get(rsKey) ?? [];
    const h = realServerHealth(slots[0]?.plan.baseWeight ?? 1, slots.map((s) => s.state));
    return { rsKey, ...h };
  }
}
