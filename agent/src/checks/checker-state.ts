/**
 * One checker of one real server, as keepalived's checkers behave (check_*.c epilogs), pure:
 *
 * - start: UP (or DOWN with `alpha`), first attempt at a random instant within `warmup`;
 * - success: UP (a transition if it was DOWN), failures forgotten, next attempt after delay_loop;
 * - failure while UP: `retry` more attempts, each after delay_before_retry; the failure that
 *   exhausts them makes it DOWN, and the next attempt comes after delay_loop;
 * - failure while DOWN: stays DOWN, next attempt after delay_loop.
 *
 * The shell owns the timers and the probes; it calls {@link checkerResult} with each outcome
 * and arms a timer for `nextAt`.
 */
import type { CheckTiming } from './timing.ts';

export interface CheckerState {
  up: boolean;
  /** Retries left before a failure counts (reset by a success or a transition to DOWN). */
  retriesLeft: number;
  /** When the next attempt is due (ms, the shell's clock). */
  nextAt: number;
  /** Why the last attempt failed (empty after a success). */
  lastReason: string;
  /** Dynamic weight reported by the last success (MISC_CHECK misc_dynamic), if any. */
  weight?: number;
  /** FILE_CHECK weight offset reported by the last success, if any. */
  weightOffset?: number;
}

export interface CheckerStep {
  state: CheckerState;
  /** The UP/DOWN state changed with this result. */
  changed: boolean;
}

/** `random` in [0, 1): Math.random in production, fixed in tests. */
export function initialChecker(t: CheckTiming, now: number, random: number): CheckerState {
  return { up: !t.alpha, retriesLeft: t.retry, nextAt: now + Math.floor(random * t.warmupMs), lastReason: '' };
}

export type CheckOutcome = { ok: true; weight?: number; weightOffset?: number } | { ok: false; reason: string };

export function checkerResult(s: CheckerState, outcome: CheckOutcome, t: CheckTiming, now: number): CheckerStep {
  if (outcome.ok) {
    const state: CheckerState = { up: true, retriesLeft: t.retry, nextAt: now + t.delayLoopMs, lastReason: '' };
    if (outcome.weight !== undefined) state.weight = outcome.weight;
    if (outcome.weightOffset !== undefined) state.weightOffset = outcome.weightOffset;
    return { state, changed: !s.up };
  }
  if (s.up && s.retriesLeft > 0) {
    return { state: { ...s, retriesLeft: s.retriesLeft - 1, nextAt: now + t.delayBeforeRetryMs, lastReason: outcome.reason }, changed: false };
  }
  return { state: { up: false, retriesLeft: t.retry, nextAt: now + t.delayLoopMs, lastReason: outcome.reason }, changed: s.up };
}

/**
 * A real server's health from its checkers: UP when every checker is (none = always UP).
 * Its weight: the last dynamic weight reported (misc_dynamic) else the configured one, plus
 * FILE_CHECK offsets, clamped to 0..65535 as IPVS weights are.
 */
export function realServerHealth(baseWeight: number, checkers: readonly CheckerState[]): { up: boolean; weight: number; reason: string } {
  let weight = baseWeight;
  let offset = 0;
  let reason = '';
  let up = true;
  for (const c of checkers) {
    if (!c.up) {
      up = false;
      if (!reason) reason = c.lastReason;
    }
    if (c.weight !== undefined) weight = c.weight;
    if (c.weightOffset !== undefined) offset += c.weightOffset;
  }
  return { up, weight: Math.max(0, Math.min(65535, weight + offset)), reason };
}
