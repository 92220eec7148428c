/**
 * Wakes agents when their config may have changed.
 *
 * - A spec write or an operator action: `notifyReplicas` sends `NOTIFY vigil_revision,
 *   '<clusterId>'` (delivered at commit); every replica LISTENs and wakes its own long-polls and
 *   nudges its own WebSockets. The writing replica also calls `revisionChanges.notify` once
 *   committed, which wakes its long-polls at once and nudges only when LISTEN is not working
 *   (otherwise the NOTIFY nudges, and each agent is nudged once per change, not twice).
 * - A director reported a new applied revision: only directors *held back* by the rollout
 *   (rollout.ts: the master waits for its backups) can be affected, so `notifyApplied` sends
 *   `NOTIFY vigil_applied` and each replica wakes only its held directors, instead of making
 *   every agent of the cluster re-fetch after every peer's report.
 *
 * Long-poll waiters also re-check on a timer (config.ts), for a lost notification.
 */
import { sql } from 'drizzle-orm';
import { executePrepared, type Db } from '../../db.ts';

/** The Postgres channel for config changes; the payload is a cluster id. */
export const REVISION_CHANNEL = 'vigil_revision';
/** The Postgres channel for "a director of this cluster applied a revision"; payload a cluster id. */
export const APPLIED_CHANNEL = 'vigil_applied';

/** Tells every replica (NOTIFY, delivered when `db`'s transaction commits) that a cluster's agent configs may have changed. */
export async function notifyReplicas(db: Db, clusterId: string): Promise<void> {
  await db.execute(sql`select pg_notify(${REVISION_CHANNEL}, ${clusterId})`);
}

/** `notifyReplicas` for many clusters in one statement (a site document). */
export async function notifyReplicasMany(db: Db, clusterIds: string[]): Promise<void> {
  if (clusterIds.length === 0) return;
  await db.execute(sql`select pg_notify(${REVISION_CHANNEL}, id) from jsonb_array_elements_text(${JSON.stringify(clusterIds)}::jsonb) as id`);
}

/** Tells every replica that directors of these clusters applied a new revision (held masters may go). */
export async function notifyApplied(db: Db, clusterIds: string[]): Promise<void> {
  if (clusterIds.length === 0) return;
  await executePrepared(db, sql`select pg_notify(${APPLIED_CHANNEL}, id) from jsonb_array_elements_text(${JSON.stringify(clusterIds)}::jsonb) as id`);
}

interface Waiter { director?: string; wake: () => void }
/** How long the writer waits for its own NOTIFY before nudging its agents itself. */
export const ECHO_WAIT_MS = 1000;

export class RevisionChanges {
  private readonly waiters = new Map<string, Set<Waiter>>();
  private readonly subscribers = new Map<string, Set<Waiter>>();
  private readonly pendingNudges = new Set<string>();
  /** Directors this replica last served a held view (rollout.ts), by cluster. */
  private readonly held = new Map<string, Set<string>>();
  /** Called with the cluster on every `applied` (config.ts drops its cached peer read). */
  readonly onApplied: ((clusterId: string) => void)[] = [];
  /** LISTEN on the revision channel works: nudges come from the NOTIFY, not the local call. */
  listening = false;
  /**
   * The writer's own changes whose NOTIFY has not come back yet. LISTEN's connection can be down
   * without this replica knowing (Postgres restarted or failed over: the client reconnects and
   * listens again, and a NOTIFY sent meanwhile is gone): a change not echoed within ECHO_WAIT_MS
   * is nudged from here, or pushed agents (which do not poll) would keep the old config for
   * minutes. The soak caught a move-master that never reached its agent that way.
   */
  private readonly awaitingEcho = new Map<string, NodeJS.Timeout>();

  /** Resolves on the cluster's next change (for `director`: also when it is held and a peer applies), after `ms`, or when `signal` aborts. */
  wait(clusterId: string, ms: number, signal?: AbortSignal, director?: string): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const set = this.waiters.get(clusterId) ?? new Set<Waiter>();
      this.waiters.set(clusterId, set);
      const w: Waiter = { director, wake: () => done() };
      const done = () => {
        clearTimeout(t);
        signal?.removeEventListener('abort', done);
        set.delete(w);
        if (set.size === 0) this.waiters.delete(clusterId);
        resolve();
      };
      const t = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      set.add(w);
    });
  }

  /** Long-polls waiting on a cluster (tests and metrics). */
  waiting(clusterId: string): number {
    return this.waiters.get(clusterId)?.size ?? 0;
  }

  /** Calls `fn` on every change of the cluster (and, for `director`, when it is held and a peer applies) until the returned function is called. */
  subscribe(clusterId: string, fn: () => void, director?: string): () => void {
    const set = this.subscribers.get(clusterId) ?? new Set<Waiter>();
    this.subscribers.set(clusterId, set);
    const w: Waiter = { director, wake: fn };
    set.add(w);
    return () => {
      set.delete(w);
      if (set.size === 0) this.subscribers.delete(clusterId);
    };
  }

  /** config.ts records whether it served `director` a held view. */
  setHeld(clusterId: string, director: string, held: boolean): void {
    const set = this.held.get(clusterId);
    if (held) {
      if (set) set.add(director);
      else this.held.set(clusterId, new Set([director]));
    } else if (set?.delete(director) && set.size === 0) this.held.delete(clusterId);
  }

  /**
   * The cluster's config changed. `from: 'listen'` is the NOTIFY every replica receives;
   * `'local'` is the writer's own call after commit.
   */
  notify(clusterId: string, from: 'local' | 'listen' = 'local'): void {
    for (const w of [...(this.waiters.get(clusterId) ?? [])]) w.wake();
    if (from === 'listen') {
      const t = this.awaitingEcho.get(clusterId);
      if (t) { clearTimeout(t); this.awaitingEcho.delete(clusterId); }
    } else if (this.listening) {
      // The NOTIFY will nudge; if it does not come back, this does.
      if (!this.awaitingEcho.has(clusterId)) {
        this.awaitingEcho.set(clusterId, setTimeout(() => {
          this.awaitingEcho.delete(clusterId);
          this.nudge(clusterId, 'all');
        }, ECHO_WAIT_MS).unref());
      }
      return;
    }
    this.nudge(clusterId, 'all');
  }

  /**
   * LISTEN was established again after its connection dropped: NOTIFYs sent meanwhile (by any
   * replica) are lost, so every cluster with agents here is nudged (a nudge pushes a config only
   * if it changed).
   */
  relistened(): void {
    for (const clusterId of this.subscribers.keys()) this.nudge(clusterId, 'all');
    for (const set of this.waiters.values()) for (const w of [...set]) w.wake();
  }

  /** A director of the cluster applied a revision: wake only the held ones. */
  applied(clusterId: string): void {
    for (const f of this.onApplied) f(clusterId);
    const held = this.held.get(clusterId);
    if (!held?.size) return;
    for (const w of [...(this.waiters.get(clusterId) ?? [])]) if (w.director && held.has(w.director)) w.wake();
    this.nudge(clusterId, 'held');
  }

  // Changes arriving together (two writes, a write and its NOTIFY while LISTEN recovers)
  // coalesce into one nudge sent after the last of them, so none is lost.
  private nudge(clusterId: string, kind: 'all' | 'held'): void {
    if (!this.subscribers.has(clusterId)) return;
    const key = `${clusterId}:${kind}`;
    if (this.pendingNudges.has(key) || (kind === 'held' && this.pendingNudges.has(`${clusterId}:all`))) return;
    this.pendingNudges.add(key);
    setTimeout(() => {
      this.pendingNudges.delete(key);
      const held = this.held.get(clusterId);
      for (const s of [...(this.subscribers.get(clusterId) ?? [])]) {
        if (kind === 'all' || (s.director !== undefined && held?.has(s.director))) s.wake();
      }
    }, 20).unref();
  }
}

export const revisionChanges = new RevisionChanges();
