import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MALLOC_TRIM_EVERY_MS, startMallocTrim } from './malloc-trim.ts';
import { loadNative } from './native.ts';

describe('startMallocTrim', () => {
  afterEach(() => vi.useRealTimers());

  it('trims once per interval until stopped, on an unref’d timer', () => {
    vi.useFakeTimers();
    const mallocTrim = vi.fn(() => true);
    const stop = startMallocTrim({ mallocTrim });
    vi.advanceTimersByTime(MALLOC_TRIM_EVERY_MS * 3);
    expect(mallocTrim).toHaveBeenCalledTimes(3);
    stop();
    vi.advanceTimersByTime(MALLOC_TRIM_EVERY_MS * 3);
    expect(mallocTrim).toHaveBeenCalledTimes(3);
  });

  it('does nothing without the addon', () => {
    vi.useFakeTimers();
    const stop = startMallocTrim(undefined);
    expect(vi.getTimerCount()).toBe(0);
    stop();
  });

  it('the real addon gives freed malloc memory back to the kernel', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const native = loadNative();
    native.mallocTrim();
    // 64 MB in 32 KB buffers (malloc'd, below the mmap threshold); every 16th is kept, so the
    // freed ones are holes free() itself cannot return (only the heap's top is returned on free).
    let bufs: Buffer[] = Array.from({ length: 2048 }, () => Buffer.allocUnsafeSlow(32 * 1024).fill(1));
    const kept = bufs.filter((_, i) => i % 16 === 0);
    bufs = [];
    gc();
    gc();
    const before = process.memoryUsage().rss;
    expect(native.mallocTrim()).toBe(true);
    const released = before - process.memoryUsage().rss;
    expect(released, `RSS ${before} -> ${before - released}`).toBeGreaterThan(16 * 1024 * 1024);
    expect(kept.length).toBe(128);
  });
});
