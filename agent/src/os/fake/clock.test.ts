import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock.ts';

describe('FakeClock', () => {
  it('fires due timers in deadline order, each at its own time, including ones set meanwhile', () => {
    const clock = new FakeClock(1000);
    const log: string[] = [];
    clock.setTimeout(() => log.push(`b@${clock.now()}`), 200);
    clock.setTimeout(() => {
      log.push(`a@${clock.now()}`);
      clock.setTimeout(() => log.push(`c@${clock.now()}`), 50);
    }, 100);
    const cancelled = clock.setTimeout(() => log.push('never'), 150);
    cancelled.cancel();
    clock.advance(160);
    expect(log).toEqual(['a@1100', 'c@1150']);
    expect(clock.now()).toBe(1160);
    clock.advance(1000);
    expect(log).toEqual(['a@1100', 'c@1150', 'b@1200']);
    expect(clock.pending()).toBe(0);
    expect(() => clock.advance(-1)).toThrow(RangeError);
  });
});
