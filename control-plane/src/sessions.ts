/**
 * Long-lived sessions end when their credential does. Every SSE stream and agent WebSocket
 * registers here with the credential it was opened with and a `close` callback; the registry
 * closes it within a second of that credential being revoked, expiring, or (for an agent)
 * replaced by a re-enrollment, reset or deletion of its director:
 *
 * - on a notification (NOTIFY vigil_credentials from whichever replica made the change, which
 *   LISTEN delivers to this one too) the subject's sessions are re-checked at once;
 * - every second, all open sessions are re-checked in one query per kind (a lost notification,
 *   an expiry, a change made with direct SQL);
 * - a token with an expiry also gets a timer at that instant.
 */
import type { Db } from './db.ts';
import { directorCredentials, liveTokens } from './services/tokens/sessions.ts';
import { sliceBudget } from './services/cpu-slices.ts';

export type SessionCredential =
  | { kind: 'token'; tokenId: string; expiresAt?: Date | null }
  | { kind: 'agent'; directorId: string; credentialHash: string };

interface Session {
  credential: SessionCredential;
  close: (reason: string) => void;
  timer?: NodeJS.Timeout;
}

export class SessionRegistry {
  private readonly sessions = new Set<Session>();
  private readonly interval: NodeJS.Timeout;
  private checking = false;

  constructor(private readonly db: Db, private readonly onError: (e: Error) => void = () => {}, everyMs = 1000) {
    this.interval = setInterval(() => void this.recheck(), everyMs);
    this.interval.unref();
  }

  /** Registers a session; returns the function that unregisters it (call it on close). */
  add(credential: SessionCredential, close: (reason: string) => void): () => void {
    const s: Session = { credential, close };
    if (credential.kind === 'token' && credential.expiresAt) {
      const ms = credential.expiresAt.getTime() - Date.now();
      if (ms <= 0) {
        close('token expired');
        return () => {};
      }
      // setTimeout caps at 2^31-1 ms (~24.8 days); the 1 s re-check covers anything longer.
      if (ms < 2 ** 31 - 1) s.timer = setTimeout(() => this.end(s, 'token expired'), ms);
    }
    this.sessions.add(s);
    return () => {
      if (s.timer) clearTimeout(s.timer);
      this.sessions.delete(s);
    };
  }

  get size(): number {
    return this.sessions.size;
  }

  /** A NOTIFY payload (`token:<id>` / `director:<id>`): re-check that subject's sessions now. */
  changed(subject: string): void {
    const [kind, id] = subject.split(':', 2);
    const matching = [...this.sessions].filter((s) => (kind === 'token' && s.credential.kind === 'token' && s.credential.tokenId === id) || (kind === 'director' && s.credential.kind === 'agent' && s.credential.directorId === id));
    if (matching.length) void this.check(matching);
  }

  /** Re-checks every open session. */
  async recheck(): Promise<void> {
    if (this.checking || this.sessions.size === 0) return;
    this.checking = true;
    try {
      await this.check([...this.sessions]);
    } finally {
      this.checking = false;
    }
  }

  private async check(list: Session[]): Promise<void> {
    try {
      const tokenIds = [...new Set(list.flatMap((s) => (s.credential.kind === 'token' ? [s.credential.tokenId] : [])))];
      const directorIds = [...new Set(list.flatMap((s) => (s.credential.kind === 'agent' ? [s.credential.directorId] : [])))];
      const [live, creds] = await Promise.all([liveTokens(this.db, tokenIds), directorCredentials(this.db, directorIds)]);
      const pause = sliceBudget();
      for (const s of list) {
        await pause(); // ten thousand sessions a second: in slices of the event loop
        if (!this.sessions.has(s)) continue;
        const c = s.credential;
        if (c.kind === 'token' && !live.has(c.tokenId)) this.end(s, 'the token was revoked or expired');
        if (c.kind === 'agent' && creds.get(c.directorId) !== c.credentialHash) {
          this.end(s, creds.has(c.directorId) ? 'the director was re-enrolled or its credential reset' : 'the director was deleted');
        }
      }
    } catch (e) {
      this.onError(e as Error); // the database is away: sessions stay until it answers again
    }
  }

  private end(s: Session, reason: string): void {
    if (!this.sessions.delete(s)) return;
    if (s.timer) clearTimeout(s.timer);
    try {
      s.close(reason);
    } catch (e) {
      this.onError(e as Error);
    }
  }

  /** Closes every session (shutdown). */
  closeAll(reason: string): void {
    for (const s of [...this.sessions]) this.end(s, reason);
  }

  stop(): void {
    clearInterval(this.interval);
  }
}
