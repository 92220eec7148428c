/**
 * RFC 5798 §6.1 / RFC 3768 §6.1 timer formulas, in milliseconds.
 *
 * v2: Skew_Time = (256 − Priority) / 256 seconds; the advert interval is fixed by config and
 *     must match the master's (RFC 3768 §7.1), so there is nothing to learn.
 * v3: Skew_Time = ((256 − Priority) × Master_Adver_Interval) / 256, where Master_Adver_Interval
 *     is learnt from the active router's adverts (RFC 5798 §6.4.2).
 * Both: Master_Down_Interval = 3 × interval + Skew_Time. keepalived's `down_timer_adverts`
 *     replaces the 3 (default 3; other values deviate from the RFC).
 *
 * Results are floored to whole milliseconds: prio 100 at 1 s gives 609 / 3609 ms, prio 200
 * gives 218 / 3218 ms (FRR's documented example uses the same formula in centiseconds).
 */
import type { VrrpVersion } from './packet.ts';

export const DEFAULT_DOWN_TIMER_ADVERTS = 3;

/** Skew_Time in ms. `masterAdverIntervalMs` is ignored for v2 (the v2 skew is in seconds). */
export function skewTimeMs(version: VrrpVersion, priority: number, masterAdverIntervalMs: number): number {
  const base = version === 2 ? 1000 : masterAdverIntervalMs;
  return Math.floor(((256 - priority) * base) / 256);
}

/** Master_Down_Interval in ms. For v2 pass the configured Advertisement_Interval. */
export function masterDownIntervalMs(
  version: VrrpVersion,
  priority: number,
  masterAdverIntervalMs: number,
  downTimerAdverts: number = DEFAULT_DOWN_TIMER_ADVERTS,
): number {
  return downTimerAdverts * masterAdverIntervalMs + skewTimeMs(version, priority, masterAdverIntervalMs);
}
