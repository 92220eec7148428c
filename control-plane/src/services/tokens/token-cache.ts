/**
 * API tokens this process authenticated in the last second, by secret hash: a request then
 * costs one database round trip (its own query), not two (the token's lookup, then the query).
 * At concurrency 1 the lookup was a quarter of a spec read (0.25–0.35 ms of 1.0–1.1 ms on
 * Postgres, 1 ms of 3 on the embedded database), and every dashboard poll and GitOps run pays it.
 *
 * What a token can still do after it stops being valid is the contract long-lived sessions
 * already have (sessions.ts: a stream closes within a second of its credential ending):
 * - revoked through this process: rejected from the next request (the route forgets it);
 * - revoked through another replica: rejected once its NOTIFY vigil_credentials arrives
 *   (milliseconds), and at the latest MAX_AGE_MS after this process last read it (a lost
 *   notification, a site deleted with its tokens, a change made with direct SQL);
 * - expired: rejected at its expiry instant (the cached row's expiry is checked on every use).
 *
 * Only valid tokens are kept, so a flood of made-up secrets fills nothing and each one still
 * costs its lookup; the map is bounded (the oldest entries go first). Agents' credentials and
 * enrollment tokens are never cached: those are checked against the database every time.
 * Pure: the caller passes the clock.
 */
export const MAX_AGE_MS = 1000;
export const MAX_ENTRIES = 10_000;

export interface CachedToken {
  id: string;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
}

export class TokenCache<T extends CachedToken = CachedToken> {
  private readonly entries = new Map<string, { at: number; row: T }>();
  /**
   * Bumped by every forget: a read that started before a revoke committed can answer after the
   * revoke's forget (or its NOTIFY) ran, with the row as it was; `set` drops it then.
   */
  private epoch = 0;

  constructor(private readonly maxAgeMs = MAX_AGE_MS, private readonly maxEntries = MAX_ENTRIES) {}

  /** The row read for `hash` less than maxAgeMs ago, if any. */
  get(hash: string, now: number): T | undefined {
    const e = this.entries.get(hash);
    if (!e) return undefined;
    if (now - e.at >= this.maxAgeMs) {
      this.entries.delete(hash);
      return undefined;
    }
    return e.row;
  }

  /** Pass to `set`: taken before the database read. */
  get readEpoch(): number {
    return this.epoch;
  }

  /**
   * Keeps a valid token's row as read at `now` (a re-read replaces it and moves it to the back),
   * unless something was forgotten since `readEpoch` (the read may predate a revoke).
   */
  set(hash: string, row: T, now: number, readEpoch = this.epoch): void {
    if (readEpoch !== this.epoch) return;
    this.entries.delete(hash);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(hash, { at: now, row });
  }

  /** A token was revoked (or its row changed): its next use reads the database. */
  forget(tokenId: string): void {
    this.epoch++;
    for (const [hash, e] of this.entries) if (e.row.id === tokenId) this.entries.delete(hash);
  }

  /** A NOTIFY vigil_credentials payload (`token:<id>`; `director:<id>` is not ours). */
  changed(subject: string): void {
    if (subject.startsWith('token:')) this.forget(subject.slice('token:'.length));
  }

  /** Everything (a site was deleted, and its tokens with it). */
  clear(): void {
    this.epoch++;
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
