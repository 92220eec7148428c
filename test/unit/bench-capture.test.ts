import { describe, expect, it } from 'vitest';
import { bucketQuantile, latenessBuckets } from '../bench/capture.ts';

describe('latenessBuckets', () => {
  it('reads one histogram\'s cumulative buckets from a scrape, +Inf last, and no other series', () => {
    const text = [
      '# TYPE x_seconds histogram',
      'x_seconds_bucket{le="0.005"} 90',
      'x_seconds_bucket{le="0.05"} 99',
      'x_seconds_bucket{le="+Inf"} 100',
      'x_seconds_sum 1.5',
      'y_seconds_bucket{le="0.005"} 7',
    ].join('\n');
    expect(latenessBuckets(text, 'x_seconds')).toEqual([[0.005, 90], [0.05, 99], [Infinity, 100]]);
    expect(latenessBuckets(text, 'z_seconds')).toEqual([]);
  });
});

describe('bucketQuantile', () => {
  const b = (...xs: [number, number][]) => xs;
  it('interpolates within the bucket that holds the rank, as histogram_quantile does', () => {
    // 100 ticks: 90 at most 5 ms, 9 in (5, 10], 1 in (45, 50].
    const buckets = b([0.005, 90], [0.01, 99], [0.045, 99], [0.05, 100], [Infinity, 100]);
    expect(bucketQuantile(buckets, 0.5)).toBeCloseTo(0.005 * 50 / 90, 9);
    expect(bucketQuantile(buckets, 0.99)).toBeCloseTo(0.01, 9);
    expect(bucketQuantile(buckets, 0.995)).toBeCloseTo(0.0475, 9);
    expect(bucketQuantile(buckets, 1)).toBeCloseTo(0.05, 9);
  });
  it('reads a quantile in +Inf as the last finite bound, and NaN without ticks', () => {
    expect(bucketQuantile(b([0.05, 0], [Infinity, 3]), 0.99)).toBe(0.05);
    expect(bucketQuantile(b([0.05, 0], [Infinity, 0]), 0.99)).toBeNaN();
    expect(bucketQuantile([], 0.5)).toBeNaN();
  });
});

