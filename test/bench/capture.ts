/** Bench helpers: VRRP adverts seen on a capture host (kernel timestamps), percentiles, RSS. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

export const median = (xs: number[]) => pct(xs, 50);

/** One sample's value in a Prometheus text exposition (`name` with its labels as exposed), NaN if absent. */
export const metricValue = (text: string, name: string): number => Number(new RegExp(`^${name.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);

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
