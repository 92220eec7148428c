/** Bench helpers: VRRP adverts seen on a capture host (kernel timestamps), percentiles, Prometheus samples and histograms, RSS. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

export const median = (xs: number[]) => pct(xs, 50);

/** One sample's value in a Prometheus text exposition (`name` with its labels as exposed), NaN if absent. */
export const metricValue = (text: string, name: string): number => Number(new RegExp(`^${name.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);

/** Cumulative bucket counts of a lateness histogram in a scrape's text, by upper bound (seconds; +Inf last). */
export function latenessBuckets(text: string, name: string): [number, number][] {
  const out: [number, number][] = [];
  const re = new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\S+)$`, 'gm');
  for (let m = re.exec(text); m; m = re.exec(text)) out.push([m[1] === '+Inf' ? Infinity : Number(m[1]), Number(m[2])]);
  return out;
}

/**
 * The q-quantile (0..1) of the ticks counted in cumulative buckets, interpolated linearly within
 * its bucket (Prometheus's histogram_quantile does the same); NaN with no ticks. A quantile in
 * the +Inf bucket reads as the last finite bound.
 */
export function bucketQuantile(buckets: [number, number][], q: number): number {
  const total = buckets.at(-1)?.[1] ?? 0;
  if (total === 0) return NaN;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const [le, count] of buckets) {
    if (count >= rank) {
      if (le === Infinity) return lowerBound;
      return lowerBound + (le - lowerBound) * (count === lowerCount ? 0 : (rank - lowerCount) / (count - lowerCount));
    }
    lowerBound = le;
    lowerCount = count;
  }
  return lowerBound;
}

export function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

/** Adverts from one host seen on another, with kernel timestamps (tcpdump -tt). */
export class Capture {
  readonly stamps: number[] = [];
  private waiters: Array<() => void> = [];
  private readonly child: ChildProcess;
  constructor(ns: string, src: string) {
    this.child = spawn('ip', ['netns', 'exec', ns, 'tcpdump', '-tt', '-n', '-l', '-i', 'eth0', `ip proto 112 and src ${src}`], { stdio: ['ignore', 'pipe', 'ignore'] });
    createInterface({ input: this.child.stdout! }).on('line', (l) => {
      const m = /^(\d+\.\d+) /.exec(l);
      if (!m) return;
      this.stamps.push(Number(m[1]) * 1000);
      const w = this.waiters;
      this.waiters = [];
      for (const f of w) f();
    });
  }
  next(): Promise<void> {
    return new Promise((r) => this.waiters.push(r));
  }
  /** |gap between consecutive adverts − interval| over the stamps from index `from` on. */
  jitter(from: number, intervalMs: number): number[] {
    const stamps = this.stamps.slice(from);
    return stamps.slice(1).map((t, i) => Math.abs(t - stamps[i]! - intervalMs));
  }
  stop(): void {
    this.child.kill();
  }
}

/** Resident memory of a process, MB (VmRSS). */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}
