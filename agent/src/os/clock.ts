/**
 * The real clock: monotonic time (performance.now, never jumps with NTP) and timers precise to
 * well under a millisecond. libuv timers have 1 ms resolution and fire late by up to a tick;
 * VRRP timers would show that as late takeovers (keepalived's select() timeouts are in
 * microseconds). So a timer is armed SPIN_MS early and the last stretch is
 * slept with Atomics.wait (a futex wait with a fractional-millisecond timeout): precise to tens of
 * microseconds, no CPU burnt and nothing allocated (a performance.now() busy loop allocated
 * megabytes per second and the scavenges it caused were the jitter).
 */
import type { Clock } from './ports.ts';

// 3 ms: after a multi-second sleep (a v2 backup's Master_Down_Interval is 3.6 s) libuv's timer
// was measured firing more than 1.5 ms late; the futex wait absorbs the rest precisely.
const SPIN_MS = 3;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * Plain timers (libuv's millisecond resolution, no futex wait): for schedules measured in
 * seconds where blocking the thread even for the last few ms would be waste (health checks).
 */
export const timerClock: Clock = {
  now: () => performance.now(),
  setTimeout(cb, delayMs) {
    const t = setTimeout(cb, delayMs);
    return { cancel: () => clearTimeout(t) };
  },
};

export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout(cb, delayMs) {
    const due = performance.now() + Math.max(0, delayMs);
    let cancelled = false;
    const fire = () => {
      if (cancelled) return;
      const rest = due - performance.now();
      if (rest > 0) Atomics.wait(sleeper, 0, 0, rest);
      cb();
    };
    const early = Math.floor(delayMs - SPIN_MS);
    const t = early > 0 ? setTimeout(fire, early) : setImmediate(fire);
    return {
      cancel: () => {
        cancelled = true;
        if (early > 0) clearTimeout(t as NodeJS.Timeout);
        else clearImmediate(t as NodeJS.Immediate);
      },
    };
  },
};
