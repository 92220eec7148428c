/**
 * The main thread's handle on the health worker thread: starts it (through tsx's loader, like
 * the `vigil` command), forwards ha_suspend changes, and delivers real-server health changes.
 * A worker that dies is restarted with the same virtual servers (its checks simply resume).
 */
import { Worker } from 'node:worker_threads';
import type { ClusterSpec } from '#schema';
import { noStats, type HealthStats, type RealServerHealth } from './engine.ts';
import type { HealthSource } from './source.ts';

export type HealthRequest =
  | { type: 'start'; virtualServers: unknown; trackFiles: unknown; suspended: Array<[string, boolean]> }
  | { type: 'update'; id: number; virtualServers: unknown; trackFiles: unknown }
  | { type: 'suspend'; vsKey: string; suspended: boolean }
  | { type: 'stats'; id: number }
  | { type: 'stop' };

export type HealthReply =
  | { type: 'started'; initial: RealServerHealth[] }
  | { type: 'health'; health: RealServerHealth }
  | { type: 'updated'; id: number; health: RealServerHealth[] }
  | { type: 'stats'; id: number; stats: HealthStats }
  | { type: 'stopped' };

const entry = new URL('./worker-entry.mjs', import.meta.url);

export class HealthWorker implements HealthSource {
  private worker: Worker | undefined;
  private readonly suspended = new Map<string, boolean>();
  private statsWaiters = new Map<number, (s: HealthStats) => void>();
  private updateWaiters = new Map<number, (h: RealServerHealth[]) => void>();
  private nextId = 0;
  private onChange: ((h: RealServerHealth) => void) | undefined;
  private spec: { virtualServers: ClusterSpec['virtualServers']; trackFiles: ClusterSpec['trackFiles'] } | undefined;
  private stopping = false;

  constructor(private readonly log: (message: string) => void = () => {}) {}

  start(virtualServers: ClusterSpec['virtualServers'], trackFiles: ClusterSpec['trackFiles'], onChange: (h: RealServerHealth) => void): Promise<RealServerHealth[]> {
    this.spec = { virtualServers, trackFiles };
    this.onChange = onChange;
    this.stopping = false;
    if (virtualServers.every((vs) => vs.realServers.every((rs) => rs.checkers.length === 0))) return Promise.resolve([]);
    return this.spawn();
  }

  private spawn(): Promise<RealServerHealth[]> {
    const w = new Worker(entry, { name: 'vigil-health' });
    this.worker = w;
    return new Promise((resolve, reject) => {
      let started = false;
      w.on('message', (m: HealthReply) => {
        if (m.type === 'started') {
          started = true;
          resolve(m.initial);
        } else if (m.type === 'health') this.onChange?.(m.health);
        else if (m.type === 'stats') {
          this.statsWaiters.get(m.id)?.(m.stats);
          this.statsWaiters.delete(m.id);
        } else if (m.type === 'updated') {
          this.updateWaiters.get(m.id)?.(m.health);
          this.updateWaiters.delete(m.id);
        }
      });
      w.on('error', (err) => {
        if (!started) reject(err);
        else this.log(`health worker failed: ${err.message}`);
      });
      w.on('exit', (code) => {
        // Nobody waits forever on a worker that is gone.
        for (const resolveUpdate of this.updateWaiters.values()) resolveUpdate([]);
        this.updateWaiters.clear();
        for (const resolveStats of this.statsWaiters.values()) resolveStats(noStats());
        this.statsWaiters.clear();
        if (this.worker !== w || this.stopping) return;
        this.worker = undefined;
        if (!started) return;
        this.log(`health worker exited (${code}); restarting it`);
        void this.spawn().catch((err: Error) => this.log(`health worker restart failed: ${err.message}`));
      });
      w.postMessage({ type: 'start', virtualServers: this.spec!.virtualServers, trackFiles: this.spec!.trackFiles, suspended: [...this.suspended] } satisfies HealthRequest);
    });
  }

  /** Checkers migrate inside the worker (engine.ts `update`); a worker restarted later gets the new spec. */
  update(virtualServers: ClusterSpec['virtualServers'], trackFiles: ClusterSpec['trackFiles']): Promise<RealServerHealth[]> {
    this.spec = { virtualServers, trackFiles };
    const w = this.worker;
    // No worker yet (nothing was checked before): start one now if there is something to check.
    if (!w) return this.onChange ? this.start(virtualServers, trackFiles, this.onChange) : Promise.resolve([]);
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.updateWaiters.set(id, resolve);
      w.postMessage({ type: 'update', id, virtualServers, trackFiles } satisfies HealthRequest);
    });
  }

  suspend(vsKey: string, suspended: boolean): void {
    this.suspended.set(vsKey, suspended);
    this.worker?.postMessage({ type: 'suspend', vsKey, suspended } satisfies HealthRequest);
  }

  stats(): Promise<HealthStats> {
    const w = this.worker;
    if (!w) return Promise.resolve(noStats());
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.statsWaiters.set(id, resolve);
      w.postMessage({ type: 'stats', id } satisfies HealthRequest);
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const w = this.worker;
    this.worker = undefined;
    if (!w) return;
    w.postMessage({ type: 'stop' } satisfies HealthRequest);
    await w.terminate();
  }
}
