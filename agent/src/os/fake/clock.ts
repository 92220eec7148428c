/**
 * A manual clock for tests: time moves only through advance(), and due timers fire in order of
 * their deadline (ties in creation order), each seeing now() equal to its own deadline.
 */
import type { Clock, TimerHandle } from '../ports.ts';

interface Timer {
  at: number;
  seq: number;
  cb: () => void;
}

export class FakeClock implements Clock {
  private current: number;
  private seq = 0;
  private timers: Timer[] = [];

  constructor(startMs = 0) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimeout(cb: () => void, delayMs: number): TimerHandle {
    const timer: Timer = { at: this.current + Math.max(0, delayMs), seq: this.seq++, cb };
    this.timers.push(timer);
    return { cancel: () => void (this.timers = this.timers.filter((t) => t !== timer)) };
  }

  /** Number of timers not yet fired or cancelled. */
  pending(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, firing every timer that falls due (including ones set meanwhile). */
  advance(ms: number): void {
    if (ms < 0) throw new RangeError(`FakeClock.advance: ms must be >= 0, got ${ms}`);
    const target = this.current + ms;
    for (;;) {
      const next = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.current = next.at;
      next.cb();
    }
    this.current = target;
  }
}
