import { describe, expect, it } from 'vitest';
import { step } from './fsm.ts';
import { reach } from './fsm.test-helpers.ts';

describe('advert timer', () => {
  it('schedules from the deadline it served, so late timers do not drift the advert train', () => {
    let s = reach('master', { advertIntervalMs: 100, version: 3 });
    const first = s.advertTimerAt!;
    // Fire 7 ms late, then 3 ms late: deadlines stay on the 100 ms grid.
    s = step(s, { type: 'advertTimerFired' }, first + 7).state;
    expect(s.advertTimerAt).toBe(first + 100);
    s = step(s, { type: 'advertTimerFired' }, first + 103).state;
    expect(s.advertTimerAt).toBe(first + 200);
  });

  it('after a stall longer than an interval it restarts from now instead of bursting', () => {
    let s = reach('master', { advertIntervalMs: 100, version: 3 });
    const first = s.advertTimerAt!;
    const r = step(s, { type: 'advertTimerFired' }, first + 450);
    s = r.state;
    expect(r.effects.filter((e) => e.type === 'sendAdvert')).toHaveLength(1);
    expect(s.advertTimerAt).toBe(first + 550);
  });
});
