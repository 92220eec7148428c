/**
 * Config push for agents connected with `?push=config`. When a cluster changes, every connected
 * agent of it needs its view; asking one by one would be one request each (a thousand agents,
 * a thousand requests within the same second). Instead every request that arrives in the same
 * turn of the event loop — of one cluster or of two hundred changed together by a site
 * document — is served together from one read (clustersViews: one query for the directors of
 * every cluster, one for the revisions not yet parsed), up to MAX_CLUSTERS_PER_READ clusters a
 * read. Two hundred reads at once, each its own queries, queued on the pool behind one another
 * and held up the acknowledgements of the agents already served.
 */
import type { AgentConfigView } from '../../../../schema/src/wire/config-view.ts';
import type { Db } from '../../db.ts';
import { clustersViews } from './config.ts';

type Deliver = (view: AgentConfigView | null) => void;
/** For each cluster asked, the views of the directors asked (null: no spec yet). */
export type Views = (wanted: Map<string, string[]>, onCluster?: (clusterId: string, views: Map<string, AgentConfigView | null>) => void) => Promise<Map<string, Map<string, AgentConfigView | null>>>;

/**
 * A read that fails (the database restarting, failing over) is tried again: pushed agents do not
 * poll, so a dropped push would leave them on the old config until the next change. Backoff from
 * RETRY_FIRST_MS doubling to RETRY_MAX_MS, for RETRY_ATTEMPTS tries (about a minute and a half).
 */
const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 5_000;
const RETRY_ATTEMPTS = 20;
/** Clusters served by one read (its queries carry one id list of this length). */
export const MAX_CLUSTERS_PER_READ = 500;

interface Pending { attempt: number; directors: Map<string, Set<Deliver>> }

export class ConfigFanout {
  private pending = new Map<string, Pending>();
  private scheduled = false;
  private readonly views: Views;

  constructor(db: Db, private readonly onError: (e: Error) => void = () => {}, views?: Views) {
    this.views = views ?? ((wanted, onCluster) => clustersViews({ db, actor: { type: 'system', name: 'config-push' } }, wanted, onCluster));
  }

  /** `deliver` gets `director`'s current view (null: no spec yet) soon. */
  request(clusterId: string, director: string, deliver: Deliver): void {
    this.enqueue(clusterId, director, deliver, 0);
  }

  /** Queues a delivery; the first of a turn schedules the read (`attempt`: retries so far). */
  private enqueue(clusterId: string, director: string, deliver: Deliver, attempt: number): void {
    let cluster = this.pending.get(clusterId);
    if (!cluster) {
      cluster = { attempt, directors: new Map() };
      this.pending.set(clusterId, cluster);
    }
    cluster.attempt = Math.min(cluster.attempt, attempt);
    const set = cluster.directors.get(director) ?? new Set<Deliver>();
    set.add(deliver);
    cluster.directors.set(director, set);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.scheduled = false;
    const all = [...this.pending];
    this.pending = new Map();
    for (let i = 0; i < all.length; i += MAX_CLUSTERS_PER_READ) void this.run(new Map(all.slice(i, i + MAX_CLUSTERS_PER_READ)));
  }

  private async run(batch: Map<string, Pending>): Promise<void> {
    const delivered = new Set<string>();
    const deliver = (clusterId: string, views: Map<string, AgentConfigView | null> | undefined) => {
      const p = batch.get(clusterId);
      if (!p || delivered.has(clusterId)) return;
      delivered.add(clusterId);
      for (const [director, delivers] of p.directors) for (const d of delivers) d(views?.get(director) ?? null);
    };
    try {
      // Each cluster is delivered as soon as its views are rendered (the reader yields between
      // slices of clusters, so the sends are spread over the turns too).
      const views = await this.views(new Map([...batch].map(([c, p]) => [c, [...p.directors.keys()]])), deliver);
      for (const clusterId of batch.keys()) deliver(clusterId, views.get(clusterId));
    } catch (e) {
      this.onError(e as Error);
      for (const [clusterId, p] of batch) {
        if (delivered.has(clusterId)) continue;
        if (p.attempt + 1 >= RETRY_ATTEMPTS) continue; // the agents' next reconnect reads it
        setTimeout(() => {
          for (const [director, delivers] of p.directors) for (const d of delivers) this.enqueue(clusterId, director, d, p.attempt + 1);
        }, Math.min(RETRY_FIRST_MS * 2 ** p.attempt, RETRY_MAX_MS)).unref();
      }
    }
  }
}
