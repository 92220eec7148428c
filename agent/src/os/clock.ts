/** The real clock: monotonic time (performance.now, never jumps with NTP) and node timers. */
import type { Clock } from './ports.ts';

export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout(cb, delayMs) {
    const t = setTimeout(cb, Math.max(0, delayMs));
    return { cancel: () => clearTimeout(t) };
  },
};
