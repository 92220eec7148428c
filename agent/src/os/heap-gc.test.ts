import { getHeapStatistics } from 'node:v8';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HEAP_GC_EVERY_MS, gcFunction, startHeapGc } from './heap-gc.ts';

describe('startHeapGc', () => {
  afterEach(() => vi.useRealTimers());

  it('asks for one incremental major GC per interval until stopped, on an unref’d timer', async () => {
    vi.useFakeTimers();
    const gc = vi.fn(async () => {});
    const stop = startHeapGc(HEAP_GC_EVERY_MS, gc);
    await vi.advanceTimersByTimeAsync(HEAP_GC_EVERY_MS * 3);
    expect(gc).toHaveBeenCalledTimes(3);
    expect(gc).toHaveBeenCalledWith({ type: 'major', execution: 'async' });
    stop();
    await vi.advanceTimersByTimeAsync(HEAP_GC_EVERY_MS * 3);
    expect(gc).toHaveBeenCalledTimes(3);
  });

  it('never starts one while the last is still running', async () => {
    vi.useFakeTimers();
    let finish: () => void = () => {};
    const gc = vi.fn(() => new Promise<void>((resolve) => { finish = resolve; }));
    const stop = startHeapGc(1000, gc);
    await vi.advanceTimersByTimeAsync(5000);
    expect(gc).toHaveBeenCalledTimes(1);
    finish();
    await vi.advanceTimersByTimeAsync(1000);
    expect(gc).toHaveBeenCalledTimes(2);
    stop();
  });

  it('does nothing without a gc function', () => {
    vi.useFakeTimers();
    const stop = startHeapGc(1000, null);
    expect(vi.getTimerCount()).toBe(0);
    stop();
  });
});

describe('gcFunction (real V8)', () => {
  it('hands over V8’s gc without a global one, and it collects what is no longer referenced', async () => {
    const gc = gcFunction();
    expect(typeof gc).toBe('function');
    expect(gcFunction()).toBe(gc);
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
    // ~40 MB of small objects, held long enough to be promoted, then dropped.
    let junk: unknown[] | undefined = Array.from({ length: 400_000 }, (_, i) => ({ i, s: `x${i}`.repeat(8) }));
    await new Promise((r) => setTimeout(r, 50));
    const held = getHeapStatistics().used_heap_size;
    expect(junk.length).toBe(400_000);
    junk = undefined;
    await gc!({ type: 'major', execution: 'async' });
    const after = getHeapStatistics().used_heap_size;
    expect(held - after, `used heap ${held} -> ${after}`).toBeGreaterThan(20 * 1024 * 1024);
  });
});
