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

export class ConfigFanout {
  private readonly pending = new Map<string, Map<string, Set<Deliver>>>();

  constructor(private readonly db: Db, private readonly onError: (e: Error) => void = () => {}) {}

  /** `deliver` gets `director`'s current view (null: no spec yet) soon. */
  request(clusterId: string, director: string, deliver: Deliver): void {
    let cluster = this.pending.get(clusterId);
    if (!cluster) {
      cluster = new Map();
      this.pending.set(clusterId, cluster);
      setImmediate(() => void this.run(clusterId));
    }
    const set = cluster.get(director) ?? new Set<Deliver>();
    set.add(deliver);
    cluster.set(director, set);
  }

  private async run(clusterId: string): Promise<void> {
    const cluster = this.pending.get(clusterId);
    this.pending.delete(clusterId);
    if (!cluster) return;
    try {
      const views = await clusterViews({ db: this.db, actor: { type: 'system', name: 'config-push' } }, clusterId, [...cluster.keys()]);
      for (const [director, delivers] of cluster) for (const d of delivers) d(views.get(director) ?? null);
    } catch (e) {
      this.onError(e as Error); // the agents still have their long-poll
    }
  }
}
