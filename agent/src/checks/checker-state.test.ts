import { describe, expect, it } from 'vitest';
import { checkerResult, initialChecker, realServerHealth, type CheckerState } from './checker-state.ts';
import type { CheckTiming } from './timing.ts';

const t: CheckTiming = { connectTimeoutMs: 500, retry: 2, delayBeforeRetryMs: 100, delayLoopMs: 1000, warmupMs: 1000, alpha: false };
const ok = { ok: true } as const;
const bad = { ok: false, reason: 'connect ECONNREFUSED' } as const;

describe('checker state (keepalived retry / delay_before_retry / delay_loop / alpha / warmup)', () => {
  it('starts UP (DOWN with alpha) at a random instant within warmup', () => {
    expect(initialChecker(t, 0, 0.5)).toEqual({ up: true, retriesLeft: 2, nextAt: 500, lastReason: '' });
    expect(initialChecker({ ...t, alpha: true }, 0, 0).up).toBe(false);
  });

  it('needs retry + 1 consecutive failures to go DOWN, spaced by delay_before_retry', () => {
    let s: CheckerState = initialChecker(t, 0, 0);
    let r = checkerResult(s, bad, t, 0);
    expect(r).toMatchObject({ changed: false, state: { up: true, retriesLeft: 1, nextAt: 100 } });
    r = checkerResult(r.state, bad, t, 100);
    expect(r).toMatchObject({ changed: false, state: { up: true, retriesLeft: 0, nextAt: 200 } });
    r = checkerResult(r.state, bad, t, 200);
    expect(r).toMatchObject({ changed: true, state: { up: false, retriesLeft: 2, nextAt: 1200, lastReason: 'connect ECONNREFUSED' } });
    s = r.state;
    // Down and failing: stays down, delay_loop between attempts, no retries.
    r = checkerResult(s, bad, t, 1200);
    expect(r).toMatchObject({ changed: false, state: { up: false, nextAt: 2200 } });
    // One success brings it back.
    r = checkerResult(r.state, ok, t, 2200);
    expect(r).toMatchObject({ changed: true, state: { up: true, retriesLeft: 2, nextAt: 3200, lastReason: '' } });
  });

  it('a success between failures resets the retries', () => {
    let r = checkerResult(initialChecker(t, 0, 0), bad, t, 0);
    r = checkerResult(r.state, ok, t, 100);
    expect(r.state.retriesLeft).toBe(2);
    expect(r.changed).toBe(false);
  });

  it('retry 0 fails on the first failure', () => {
    const r = checkerResult(initialChecker({ ...t, retry: 0 }, 0, 0), bad, { ...t, retry: 0 }, 0);
    expect(r).toMatchObject({ changed: true, state: { up: false } });
  });

  it('real server: UP only when every checker is; misc_dynamic weight replaces, FILE_CHECK offsets add, clamped', () => {
    const up = (extra: Partial<CheckerState> = {}): CheckerState => ({ up: true, retriesLeft: 1, nextAt: 0, lastReason: '', ...extra });
    expect(realServerHealth(3, [])).toEqual({ up: true, weight: 3, reason: '' });
    expect(realServerHealth(3, [up(), { ...up(), up: false, lastReason: 'status 503' }])).toEqual({ up: false, weight: 3, reason: 'status 503' });
    expect(realServerHealth(3, [up({ weight: 10 }), up({ weightOffset: -4 })])).toMatchObject({ up: true, weight: 6 });
    expect(realServerHealth(3, [up({ weightOffset: -40 })]).weight).toBe(0);
  });
});
