// @ts-check
/**
 * Live updates: one Server-Sent Events stream of the audit log (GET /v1/events/stream, the
 * session cookie authenticates it, so no token goes in the URL) shared by every view. The
 * browser resumes a dropped stream itself with Last-Event-ID; a stream refused (signed out,
 * token revoked) is reported as closed and the page checks the session.
 */
import { apiUrl } from './api.js';

/** @typedef {{ id: number, kind: string, actor: string, siteId: string | null, clusterId: string | null, directorId: string | null, instance: string | null, details: Record<string, unknown>, agentTime: string | null, receivedAt: string }} VigilEvent */
/** @typedef {'connecting' | 'live' | 'reconnecting' | 'closed'} LiveState */

export class Live {
  /** @param {(s: LiveState) => void} onState */
  constructor(onState) {
    /** @type {Set<(e: VigilEvent) => void>} */
    this.subscribers = new Set();
    this.onState = onState;
    /** @type {EventSource | null} */
    this.source = null;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.retry = undefined;
  }

  start() {
    this.stop();
    this.onState('connecting');
    const es = new EventSource(apiUrl('v1/events/stream', { maxSeconds: 3600 }));
    this.source = es;
    es.addEventListener('open', () => this.onState('live'));
    es.addEventListener('vigil', (m) => {
      /** @type {VigilEvent} */
      let e;
      try {
        e = JSON.parse(/** @type {MessageEvent<string>} */ (m).data);
      } catch {
        return;
      }
      for (const fn of this.subscribers) fn(e);
    });
    es.addEventListener('error', () => {
      if (es.readyState === EventSource.CLOSED) {
        this.onState('closed');
        // Refused (not merely dropped): try again later; the app re-checks the session meanwhile.
        this.retry = setTimeout(() => this.start(), 5000);
      } else this.onState('reconnecting');
    });
  }

  stop() {
    clearTimeout(this.retry);
    this.source?.close();
    this.source = null;
  }

  /** @param {(e: VigilEvent) => void} fn @returns {() => void} */
  subscribe(fn) {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }
}

/**
 * Calls `fn` at once when idle, then at most once per `ms`, and once more after a burst: the
 * first event of a failover refreshes a view without waiting, its followers refresh it once.
 * @param {() => void} fn
 * @param {number} ms
 */
export function coalesce(fn, ms) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let t;
  let again = false;
  const quiet = () => {
    if (!again) {
      t = undefined;
      return;
    }
    again = false;
    fn();
    t = setTimeout(quiet, ms);
  };
  return () => {
    if (t !== undefined) {
      again = true;
      return;
    }
    fn();
    t = setTimeout(quiet, ms);
  };
}
