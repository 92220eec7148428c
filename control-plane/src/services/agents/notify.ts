/**
 * Wakes long-polling agents when a cluster's spec changes. In-process waiters are woken
 * directly; across replicas the spec writer sends `NOTIFY vigil_revision, '<clusterId>'` and
 * every replica that LISTENs wakes its own waiters (db.ts subscribes when the driver can).
 * Long-poll waiters also re-check on a timer (config.ts), for a lost notification; WebSocket
 * subscribers (agent-ws.ts) get a nudge.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../../db.ts';

type Waiter = () => void;

/** The Postgres channel every replica LISTENs on; the payload is a cluster id. */
export const REVISION_CHANNEL = 'vigil_revision';

/**
 * Tells every replica (NOTIFY, delivered when `db`'s transaction commits) that a cluster's
 * agent configs may have changed. Call `revisionChanges.notify` too once committed, for this
 * process's own waiters without the round trip.
 */
export async function notifyReplicas(db: Db, clusterId: string): Promise<void> {
  await db.execute(sql`select pg_notify(${REVISION_CHANNEL}, ${clusterId})`);
}

class RevisionChanges {
  private readonly waiters = new Map<string, Set<Waiter>>();

  /** Resolves on the cluster's next change, after `ms`, or when `signal` aborts. */
  wait(clusterId: string, ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const set = this.waiters.get(clusterId) ?? new Set<Waiter>();
      this.waiters.set(clusterId, set);
      const done = () => {
        clearTimeout(t);
        signal?.removeEventListener('abort', done);
        set.delete(done);
        if (set.size === 0) this.waiters.delete(clusterId);
        resolve();
      };
      const t = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      set.add(done);
    });
  }

  /** Long-polls waiting on a cluster (tests and metrics). */
  waiting(clusterId: string): number {
    return this.waiters.get(clusterId)?.size ?? 0;
  }

  private readonly subscribers = new Map<string, Set<Waiter>>();

  /** Calls `fn` on every change of the cluster until the returned function is called. */
  subscribe(clusterId: string, fn: Waiter): () => void {
    const set = this.subscribers.get(clusterId) ?? new Set<Waiter>();
    this.subscribers.set(clusterId, set);
    set.add(fn);
    return () => {
      set.delete(fn);
      if (set.size === 0) this.subscribers.delete(clusterId);
    };
  }

  private readonly pendingNudges = new Set<string>();

  notify(clusterId: string): void {
    for (const w of [...(this.waiters.get(clusterId) ?? [])]) w();
    // One change arrives twice in the writing replica (directly, then by NOTIFY): nudges within
    // 20 ms coalesce into one, sent after the last of them, so none is lost.
    if (this.pendingNudges.has(clusterId) || !this.subscribers.has(clusterId)) return;
    this.pendingNudges.add(clusterId);
    setTimeout(() => {
      this.pendingNudges.delete(clusterId);
      for (const s of [...(this.subscribers.get(clusterId) ?? [])]) s();
    }, 20).unref();
  }
}

export const revisionChanges = new RevisionChanges();
