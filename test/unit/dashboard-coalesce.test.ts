/**
 * The dashboard's refresh coalescing (control-plane/dashboard/ui/live.js): the first event of a
 * burst refreshes a view at once (a failover must show within a second), the rest once more.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { coalesce } from '../../control-plane/dashboard/ui/live.js';

describe('coalesce', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('calls at once when idle, once more after a burst, then idles', () => {
    const fn = vi.fn();
    const c = coalesce(fn, 100);
    c();
    expect(fn).toHaveBeenCalledTimes(1); // no wait for the first
    c();
    c();
    c();
    expect(fn).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(100);
    expect(fn).toHaveBeenCalledTimes(2); // the burst's followers: one call
    vi.advanceTimersByTime(100);
    expect(fn).toHaveBeenCalledTimes(2);
    c();
    expect(fn).toHaveBeenCalledTimes(3); // idle again: at once
  });

  it('a lone event calls once', () => {
    const fn = vi.fn();
    coalesce(fn, 100)();
    vi.advanceTimersByTime(1000);
    expect(fn).toHaveBeenCalledTimes(1);
  });
});
