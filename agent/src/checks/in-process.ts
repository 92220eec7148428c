/**
 * A {@link HealthSource} that runs the engine on the calling thread: for tools and tests that
 * have no VRRP to protect (the agent itself uses the worker thread, health-worker.ts). The probe
 * can be given (a fake in unit tests of the whole director); by default it is the real one.
 */
import type { ClusterSpec } from '#schema';
import { timerClock } from '../os/clock.ts';
import type { Clock } from '../os/ports.ts';
import { HealthEngine, noStats, type ProbeFn, type RealServerHealth } from './engine.ts';
import { checkerPlans } from './plan.ts';
import { createProber, fileSystemTrackFileReader } from './probes/index.ts';
import type { HealthSource } from './source.ts';

export class InProcessHealth implements HealthSource {
  private engine: HealthEngine | undefined;
  private readonly suspended = new Map<string, boolean>();
  private trackFiles: ClusterSpec['trackFiles'] = {};

  constructor(private readonly clock: Clock = timerClock, private readonly probe?: ProbeFn) {}

  async start(virtualServers: ClusterSpec['virtualServers'], trackFiles: ClusterSpec['trackFiles'], onChange: (h: RealServerHealth) => void): Promise<RealServerHealth[]> {
    this.engine?.stop();
    this.trackFiles = trackFiles;
    const probe = this.probe ?? createProber({ readTrackFile: (name) => fileSystemTrackFileReader(this.trackFiles)(name) });
    const engine = new HealthEngine(checkerPlans(virtualServers), { probe, clock: this.clock, onChange });
    for (const [v, s] of this.suspended) engine.suspend(v, s);
    this.engine = engine;
    const initial = engine.initial();
    engine.start();
    return initial;
  }

  async update(virtualServers: ClusterSpec['virtualServers'], trackFiles: ClusterSpec['trackFiles']): Promise<RealServerHealth[]> {
    this.trackFiles = trackFiles;
    return this.engine?.update(checkerPlans(virtualServers)) ?? [];
  }

  suspend(vsKey: string, suspended: boolean): void {
    this.suspended.set(vsKey, suspended);
    this.engine?.suspend(vsKey, suspended);
  }

  async stop(): Promise<void> {
    this.engine?.stop();
    this.engine = undefined;
  }

  async stats() {
    return this.engine ? { ...this.engine.stats } : noStats();
  }
}
