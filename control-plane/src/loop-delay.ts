/**
 * The event loop's delay as operators mean it: how late a timer ran past its due time.
 *
 * node's monitorEventLoopDelay (and prom-client's `nodejs_eventloop_lag_*`, built on it) records
 * the interval between ticks of a repeating `resolution` ms timer. libuv re-arms a repeating timer
 * at the loop time of its tick plus `repeat`, so that interval is the resolution plus the lateness:
 * an idle loop reads 10 ms at the default resolution, and a figure judged against a bound is
 * overstated by up to the resolution (node PR #62935 describes the same floor). This gauge reports
 * the lateness itself; the raw interval stays in prom-client's gauges beside it.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Gauge, Histogram, type Registry } from 'prom-client';

export const LOOP_RESOLUTION_MS = 10;

/** Lateness in seconds of a tick recorded as `intervalNs` by a `resolutionMs` timer (never below 0). */
export function lateness(intervalNs: number, resolutionMs: number): number {
  if (!Number.isFinite(intervalNs)) return 0;
  return Math.max(0, intervalNs / 1e9 - resolutionMs / 1000);
}

/** Registers `<prefix>event_loop_delay_seconds{quantile}`: p50, p99 and max since the last scrape. */
export function registerLoopDelay(registry: Registry, prefix: string, resolutionMs = LOOP_RESOLUTION_MS): IntervalHistogram {
  const histogram = monitorEventLoopDelay({ resolution: resolutionMs });
  histogram.enable();
  new Gauge({
    name: `${prefix}event_loop_delay_seconds`,
    help: `Event-loop delay since the last scrape: how late a ${resolutionMs} ms timer ran past its due time (the lag gauges' interval less the timer's period)`,
    labelNames: ['quantile'],
    registers: [registry],
    collect() {
      // No tick since the last scrape (a scrape within one resolution of the last): the last
      // scrape's figures stay exported, and the histogram keeps counting for the next.
      if (histogram.count === 0) return;
      this.set({ quantile: '0.5' }, lateness(histogram.percentile(50), resolutionMs));
      this.set({ quantile: '0.99' }, lateness(histogram.percentile(99), resolutionMs));
      this.set({ quantile: '1' }, lateness(histogram.max, resolutionMs));
      histogram.reset();
    },
  });
  return histogram;
}

/** Lateness buckets (seconds): 5 ms steps to 100 ms, where a bound like "p99 < 50 ms" is judged. */
export const LATENESS_BUCKETS = [...Array.from({ length: 20 }, (_, i) => (i + 1) * 0.005), 0.15, 0.25, 0.5, 1, 2.5];

/**
 * Registers `<prefix>event_loop_lateness_seconds`, a cumulative histogram of every tick's
 * lateness (never reset). The quantile gauge above answers "since the last scrape", which is one
 * window; a phase made of several windows (or Prometheus's `histogram_quantile` over a range)
 * needs the distribution itself: the difference of two scrapes is exactly the ticks between them.
 * Fed by a repeating timer of the same period as the gauge's (a JS one: node's histogram keeps
 * no per-tick record); returns its stop.
 */
export function registerLatenessHistogram(registry: Registry, prefix: string, resolutionMs = LOOP_RESOLUTION_MS, now: () => number = () => performance.now()): () => void {
  const histogram = new Histogram({
    name: `${prefix}event_loop_lateness_seconds`,
    help: `How late each tick of a ${resolutionMs} ms timer ran past its due time, cumulative (the difference of two scrapes is the ticks between them)`,
    buckets: LATENESS_BUCKETS,
    registers: [registry],
  });
  let last = now();
  const timer = setInterval(() => {
    const t = now();
    histogram.observe(lateness((t - last) * 1e6, resolutionMs));
    last = t;
  }, resolutionMs);
  timer.unref();
  return () => clearInterval(timer);
}
