/**
 * Wakes live readers of the audit log (SSE streams) when events are appended, in every replica:
 * each append transaction sends `NOTIFY vigil_events` (delivered at commit), every replica
 * LISTENs and wakes its own waiters. Idle streams therefore cost nothing between events,
 * instead of each polling the database.
 */
import { sql } from 'drizzle-orm';

export const EVENTS_CHANNEL = 'vigil_events';

/** `NOTIFY vigil_events, '<lastId>'` as a statement to ride on another one (append.ts: after the insert). */
export const eventsAppendedNotify = (lastId: number) => sql`select pg_notify(${EVENTS_CHANNEL}, ${String(lastId)})`;

class EventsAppended {
  private readonly waiters = new Set<() => void>();

  /** Resolves true on the next append anywhere, false after `ms` or when `signal` aborts. */
  wait(ms: number, signal?: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve(false);
      const finish = (woken: boolean) => {
        clearTimeout(t);
        signal?.removeEventListener('abort', onAbort);
        this.waiters.delete(wake);
        resolve(woken);
      };
      const wake = () => finish(true);
      const onAbort = () => finish(false);
      const t = setTimeout(() => finish(false), ms);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(wake);
    });
  }

  notify(): void {
    for (const w of [...this.waiters]) w();
  }

  get size(): number {
    return this.waiters.size;
  }
}

export const eventsAppended = new EventsAppended();
