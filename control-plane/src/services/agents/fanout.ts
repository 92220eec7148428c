/**
 * Config push for agents connected with `?push=config`. When a cluster changes, every connected
 * agent of it needs its view; asking one by one would be one request each (a thousand agents,
 * a thousand requests within the same second). Instead the requests of one cluster that arrive
 * in the same turn of the event loop are served together from one read (clusterViews).
 */
import type { AgentConfigView } from '../../../../schema/src/wire/config-view.ts';
import type { Db } from '../../db.ts';
import { clusterViews } from './config.ts';

type Deliver = (view: AgentConfigView | null) => void;
type Views = (clusterId: string, directors: string[]) => Promise<Map<string, AgentConfigView | null>>;

/**
 * A read that fails (the database restarting, failing over) is tried again: pushed agents do not
 * poll, so a dropped push would leave them on the old config until the next change. Backoff from
 * RETRY_FIRST_MS doubling to RETRY_MAX_MS, for RETRY_ATTEMPTS tries (about a minute and a half).
 */
const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 5_000;
const RETRY_ATTEMPTS = 20;

export class ConfigFanout {
  private readonly pending = new Map<string, Map<string, Set<Deliver>>>();
  private readonly views: Views;

  constructor(db: Db, private readonly onError: (e: Error) => void = () => {}, views?: Views) {
    this.views = views ?? ((clusterId, directors) => clusterViews({ db, actor: { type: 'system', name: 'config-push' } }, clusterId, directors));
  }

  /** `deliver` gets `director`'s current view (null: no spec yet) soon. */
  request(clusterId: string, director: string, deliver: Deliver): void {
    this.enqueue(clusterId, director, deliver, 0);
  }

  /** Queues a delivery; the first for a cluster schedules its read (`attempt`: retries so far). */
  private enqueue(clusterId: string, director: string, deliver: Deliver, attempt: number): void {
    let cluster = this.pending.get(clusterId);
    if (!cluster) {
      cluster = new Map();
      this.pending.set(clusterId, cluster);
      setImmediate(() => void this.run(clusterId, attempt));
    }
    const set = cluster.get(director) ?? new Set<Deliver>();
    set.add(deliver);
    cluster.set(director, set);
  }

  private async run(clusterId: string, attempt: number): Promise<void> {
    const cluster = this.pending.get(clusterId);
    this.pending.delete(clusterId);
    if (!cluster) return;
    try {
      const views = await this.views(clusterId, [...cluster.keys()]);
      for (const [director, delivers] of cluster) for (const d of delivers) d(views.get(director) ?? null);
    } catch (e) {
      this.onError(e as Error);
      if (attempt + 1 >= RETRY_ATTEMPTS) return; // the agents' next reconnect reads it
      setTimeout(() => {
        for (const [director, delivers] of cluster) for (const d of delivers) this.enqueue(clusterId, director, d, attempt + 1);
      }, Math.min(RETRY_FIRST_MS * 2 ** attempt, RETRY_MAX_MS)).unref();
    }
  }
}
