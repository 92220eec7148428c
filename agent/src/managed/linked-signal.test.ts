import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { linkedSignal } from './linked-signal.ts';

describe('linkedSignal', () => {
  afterEach(() => vi.useRealTimers());

  it('aborts when any source aborts, with its reason, and lets go of the others', () => {
    const stop = new AbortController();
    const poll = new AbortController();
    const l = linkedSignal([stop.signal, poll.signal]);
    poll.abort('nudged');
    expect(l.signal.aborted).toBe(true);
    expect(l.signal.reason).toBe('nudged');
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
  });

  it('aborts after the timeout with a TimeoutError, and not before', () => {
    vi.useFakeTimers();
    const stop = new AbortController();
    const l = linkedSignal([stop.signal], 15_000);
    vi.advanceTimersByTime(14_999);
    expect(l.signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(l.signal.aborted).toBe(true);
    expect((l.signal.reason as DOMException).name).toBe('TimeoutError');
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
  });

  it('is aborted at once when a source already is', () => {
    const stop = new AbortController();
    stop.abort('closing');
    const l = linkedSignal([new AbortController().signal, stop.signal], 1000);
    expect(l.signal.aborted).toBe(true);
    expect(l.signal.reason).toBe('closing');
  });

  // The reason it exists: the agent's stop signal lives for the process, and one of these is made
  // per config poll. After dispose nothing of it stays on the long-lived signal, and its timer is gone.
  it('a disposed signal leaves no listener on a long-lived source and no timer', () => {
    vi.useFakeTimers();
    const stop = new AbortController();
    for (let i = 0; i < 1000; i++) linkedSignal([stop.signal, new AbortController().signal], 60_000).dispose();
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(0);
    const live = linkedSignal([stop.signal]);
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(1);
    stop.abort();
    expect(live.signal.aborted).toBe(true);
  });
});
