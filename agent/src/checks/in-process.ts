/**
 * A {@link HealthSource} that runs the engine on the calling thread: for tools and tests that
 * have no VRRP to protect (the agent itself uses the worker thread, health-worker.ts).
 */
import type { ClusterSpec } from '#schema';
import { timerClock } from '../os/clock.ts';
import type { Clock } from '../os/ports.ts';
import type { HealthSource } from '../runtime/lb.ts';
import { HealthEngine, noStats, type RealServerHealth } from './engine.ts';
import { checkerPlans } from './plan.ts';
import { createProber, fileSystemTrackFileReader } from './probes/index.ts';

export class InProcessHealth implements HealthSource {
  private engine: HealthEngine | undefined;
  private readonly suspended = new Map<number, boolean>();

  constructor(private readonly clock: Clock = timerClock) {}

  async start(virtualServers: ClusterSpec['virtualServers'], trackFiles: ClusterSpec['trackFiles'], onChange: (h: RealServerHealth) => void): Promise<RealServerHealth[]> {
    this.engine?.stop();
    const probe = createProber({ readTrackFile: fileSystemTrackFileReader(trackFiles) });
    const engine = new HealthEngine(checkerPlans(virtualServers), { probe, clock: this.clock, onChange });
    for (const [v, s] of this.suspended) engine.suspend(v, s);
    this.engine = engine;
    const initial = engine.initial();
    engine.start();
    return initial;
  }

  suspend(vsIndex: number, suspended: boolean): void {
    this.suspended.set(vsIndex, suspended);
    this.engine?.suspend(vsIndex, suspended);
  }

  async stop(): Promise<void> {
    this.engine?.stop();
    this.engine = undefined;
  }

  async stats() {
    return this.engine ? { ...this.engine.stats } : noStats();
  }
}
