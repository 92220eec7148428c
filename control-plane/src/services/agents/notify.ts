/**
 * Wakes long-polling agents when a cluster's spec changes. In-process waiters are woken
 * directly; across replicas the spec writer sends `NOTIFY vigil_revision, '<clusterId>'` and
 * every replica that LISTENs wakes its own waiters (db.ts subscribes when the driver can).
 * Waiters also re-check on a timer, so a lost notification costs at most a second.
 */
type Waiter = () => void;

class RevisionChanges {
  private readonly waiters = new Map<string, Set<Waiter>>();

  wait(clusterId: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const set = this.waiters.get(clusterId) ?? new Set<Waiter>();
      this.waiters.set(clusterId, set);
      const done = () => {
        clearTimeout(t);
        set.delete(done);
        if (set.size === 0) this.waiters.delete(clusterId);
        resolve();
      };
      const t = setTimeout(done, ms);
      set.add(done);
    });
  }

  notify(clusterId: string): void {
    for (const w of [...(this.waiters.get(clusterId) ?? [])]) w();
  }
}

export const revisionChanges = new RevisionChanges();
