/**
 * Backpressure for agent reports. Each director has at most one report being stored at a time
 * (an agent sends its reports one after the other; a second one in flight is a retry racing its
 * original, or abuse), and the process holds a bounded number of reports in flight.
 *
 * - HTTP (`tryEnter`): at most `maxHttp` at once; a report that finds no room is answered 429
 *   with Retry-After; the agent's outbox keeps the events and sends them again.
 * - WebSocket (`enter`): the frame is already read and the socket paused (agent-ws.ts), so its
 *   memory is bounded by connections × frame size whatever the gate does; the gate only orders
 *   the commits. Waiters queue in arrival order and a released slot goes straight to the next
 *   one: a burst of two thousand acks after a rollout is committed in groups (commit.ts) as
 *   fast as the database takes them, with no one asleep on a retry timer.
 */
interface Waiter {
  directorId: string;
  resolve: (release: (() => void) | undefined) => void;
}

export class IngestGate {
  private readonly busy = new Set<string>();
  private inFlight = 0;
  private http = 0;
  private readonly waiters: Waiter[] = [];

  constructor(private readonly maxHttp = 64, private readonly maxInFlight = 2048) {}

  /** A release function, or undefined when there is no room (answer 429). */
  tryEnter(directorId: string): (() => void) | undefined {
    if (this.busy.has(directorId) || this.http >= this.maxHttp || this.inFlight >= this.maxInFlight) return undefined;
    this.http++;
    const release = this.admit(directorId);
    return () => {
      if (release()) this.http--;
    };
  }

  /** Waits for room, in arrival order (the WebSocket path); undefined once `signal` aborts. */
  enter(directorId: string, signal?: AbortSignal): Promise<(() => void) | undefined> {
    if (signal?.aborted) return Promise.resolve(undefined);
    if (!this.busy.has(directorId) && this.inFlight < this.maxInFlight && this.waiters.length === 0) return Promise.resolve(this.wrap(this.admit(directorId)));
    return new Promise((resolve) => {
      const w: Waiter = { directorId, resolve };
      this.waiters.push(w);
      signal?.addEventListener('abort', () => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) {
          this.waiters.splice(i, 1);
          resolve(undefined);
        }
      }, { once: true });
    });
  }

  get load(): number {
    return this.inFlight;
  }

  get queued(): number {
    return this.waiters.length;
  }

  private wrap(release: () => boolean): () => void {
    return () => void release();
  }

  /** Takes a slot; the returned function frees it once (true the first time). */
  private admit(directorId: string): () => boolean {
    this.busy.add(directorId);
    this.inFlight++;
    let released = false;
    return () => {
      if (released) return false;
      released = true;
      this.busy.delete(directorId);
      this.inFlight--;
      this.wake();
      return true;
    };
  }

  /** Hands free slots to the oldest waiters whose director has nothing in flight. */
  private wake(): void {
    for (let i = 0; i < this.waiters.length && this.inFlight < this.maxInFlight;) {
      const w = this.waiters[i]!;
      if (this.busy.has(w.directorId)) {
        i++;
        continue;
      }
      this.waiters.splice(i, 1);
      w.resolve(this.wrap(this.admit(w.directorId)));
    }
  }
}
