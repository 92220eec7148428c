import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { latenessBuckets } from '../../test/bench/capture.ts';
import { lateness, registerLatenessHistogram, registerLoopDelay } from './loop-delay.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const gauge = async (registry: Registry, quantile: string) => {
  const text = await registry.metrics();
  return Number(new RegExp(`^t_event_loop_delay_seconds\\{quantile="${quantile}"\\} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
};

describe('event-loop delay as lateness', () => {
  it('is the recorded interval less the timer period, never below zero', () => {
    expect(lateness(10e6, 10)).toBe(0); // an idle loop's tick
    expect(lateness(9.6e6, 10)).toBe(0); // libuv's millisecond clock fires a tick early
    expect(lateness(47.5e6, 10)).toBeCloseTo(0.0375, 9);
    expect(lateness(Number.NaN, 10)).toBe(0); // percentile of an empty histogram
  });

  it('a loop blocked 80 ms reads at least 70 ms late (max), and the raw interval at least 80', async () => {
    const registry = new Registry();
    const h = registerLoopDelay(registry, 't_');
    await sleep(50); // a few ticks
    // performance.now(), not Date.now(): a millisecond clock can end the block after 79.1 ms
    // (CI caught a raw interval of 79.76 ms that way).
    const until = performance.now() + 80;
    while (performance.now() < until) { /* blocks the loop */ }
    await sleep(30);
    const rawMaxMs = h.max / 1e6;
    const late = await gauge(registry, '1');
    h.disable();
    expect(rawMaxMs).toBeGreaterThanOrEqual(80);
    // The timer fell due within 10 ms of the block's start and ran after its end.
    expect(late).toBeGreaterThanOrEqual(0.07);
    expect(late).toBeCloseTo(rawMaxMs / 1000 - 0.01, 6);
    expect(h.count).toBe(0); // the scrape reset it
  });

  it('the cumulative histogram counts every tick, the blocked one in its bucket, and is never reset by a scrape', async () => {
    const registry = new Registry();
    const stop = registerLatenessHistogram(registry, 't_');
    try {
      await sleep(100);
      const before = latenessBuckets(await registry.metrics(), 't_event_loop_lateness_seconds');
      const until = performance.now() + 80;
      while (performance.now() < until) { /* blocks the loop */ }
      await sleep(100);
      const after = latenessBuckets(await registry.metrics(), 't_event_loop_lateness_seconds');
      expect(before.at(-1)![0]).toBe(Infinity);
      expect(before.at(-1)![1]).toBeGreaterThanOrEqual(3); // 100 ms of 10 ms ticks, on a busy machine
      // Cumulative: no bucket's count went down (the first scrape reset nothing).
      after.forEach(([le, n], i) => {
        expect(le).toBe(before[i]![0]);
        expect(n).toBeGreaterThanOrEqual(before[i]![1]);
      });
      // The ticks in between: the blocked one was at least 70 ms late (due within 10 ms of the
      // block's start, run after its end), so one of them is above the 65 ms bound.
      const between = after.map(([le, n], i): [number, number] => [le, n - before[i]![1]]);
      const total = between.at(-1)![1];
      const atMost65 = between.find(([le]) => Math.abs(le - 0.065) < 1e-9)![1];
      expect(total - atMost65).toBeGreaterThanOrEqual(1);
    } finally {
      stop();
    }
  });
});
