/**
 * Values by (cluster, revision), for what is derived from an immutable revision (its parsed
 * spec, its directors' rendered configs). Each cluster keeps only its newest `perCluster`
 * revisions: the rollout reads two (the one a director runs and the current one), and a
 * director further behind is read again on demand. A cache by count alone (thousands of
 * entries) held ten or more revisions of every cluster after a few site-wide changes: old-space
 * the next GC had to mark through, for nothing. `max` bounds the whole (the oldest cached out
 * first) for a control plane serving more clusters than it has room for.
 */
export class RevisionCache<V> {
  /** In insertion order: the first is the oldest. */
  private readonly entries = new Map<string, { clusterId: string; revision: number; value: V }>();
  /** Each cluster's cached revisions, ascending. */
  private readonly revisions = new Map<string, number[]>();

  constructor(private readonly perCluster: number, private readonly max: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(clusterId: string, revision: number): V | undefined {
    return this.entries.get(`${clusterId}:${revision}`)?.value;
  }

  has(clusterId: string, revision: number): boolean {
    return this.entries.has(`${clusterId}:${revision}`);
  }

  /** Caches `value`, unless `revision` is older than the cluster's newest `perCluster` (then not kept). */
  set(clusterId: string, revision: number, value: V): void {
    const key = `${clusterId}:${revision}`;
    const held = this.entries.get(key);
    if (held) {
      held.value = value;
      return;
    }
    const list = this.revisions.get(clusterId) ?? [];
    let at = list.length;
    while (at > 0 && list[at - 1]! > revision) at--;
    if (list.length >= this.perCluster && at === 0) return; // older than every one kept
    list.splice(at, 0, revision);
    this.revisions.set(clusterId, list);
    this.entries.set(key, { clusterId, revision, value });
    while (list.length > this.perCluster) this.delete(clusterId, list[0]!);
    while (this.entries.size > this.max) {
      const oldest = this.entries.values().next().value!;
      this.delete(oldest.clusterId, oldest.revision);
    }
  }

  delete(clusterId: string, revision: number): void {
    if (!this.entries.delete(`${clusterId}:${revision}`)) return;
    const list = this.revisions.get(clusterId)!;
    list.splice(list.indexOf(revision), 1);
    if (list.length === 0) this.revisions.delete(clusterId);
  }
}
