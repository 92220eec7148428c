/**
 * Where the load balancer gets real-server health from: the engine in a worker thread
 * (health-worker.ts, what the agent runs) or on the calling thread (in-process.ts, for tools and
 * tests). Both keep a checker's state across `update` when its definition did not change.
 */
import type { ClusterSpec } from '#schema';
import type { HealthStats, RealServerHealth } from './engine.ts';

export interface HealthSource {
  /** Starts checking; resolves with every real server's starting health. */
  start(virtualServers: ClusterSpec['virtualServers'], trackFiles: ClusterSpec['trackFiles'], onChange: (h: RealServerHealth) => void): Promise<RealServerHealth[]>;
  /** A reload: checkers migrate by identity (engine.ts `update`); resolves with every real server's health. */
  update(virtualServers: ClusterSpec['virtualServers'], trackFiles: ClusterSpec['trackFiles']): Promise<RealServerHealth[]>;
  /** ha_suspend for the virtual server with this identity (lb/identity.ts). */
  suspend(vsKey: string, suspended: boolean): void;
  stop(): Promise<void>;
  stats(): Promise<HealthStats>;
}
