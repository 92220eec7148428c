/**
 * Agent WebSocket handshakes in progress, bounded. After a control plane restarts, every agent
 * connected to it comes back within seconds (backoff with jitter spreads them over about a
 * second at first): ten thousand handshakes, each a credential lookup and a session to set up.
 * Started all at once, the database answers hundreds of lookups in one read, and every one of
 * those sessions was set up before the event loop turned again (fleet bench, 10,000 agents: 6
 * and 12 ticks of the reconnect 50 ms late or more, p99 48 and 145 ms in two runs).
 *
 * Here at most `maxActive` handshakes run at a time and the rest wait in arrival order (their
 * sockets stay open; an agent's own handshake timeout is 10 s). Past `maxWaiting` a handshake is
 * refused at once, so an agent backs off instead of queueing without bound. Pure: no sockets,
 * no timers (agent-ws.ts does both).
 */
import { Fifo } from './services/fifo.ts';

export const HANDSHAKES_ACTIVE_MAX = 32;
export const HANDSHAKES_WAITING_MAX = 20_000;

export class HandshakeGate {
  private active = 0;
  private readonly queue = new Fifo<() => void>();
  /** Handshakes refused for a full queue, since start (metrics). */
  refused = 0;

  constructor(readonly maxActive = HANDSHAKES_ACTIVE_MAX, readonly maxWaiting = HANDSHAKES_WAITING_MAX) {}

  /** Handshakes running, and waiting for a turn (metrics, tests). */
  get running(): number {
    return this.active;
  }

  get waiting(): number {
    return this.queue.size;
  }

  /**
   * A turn: resolves with its `release` (call it once, when the handshake is done or failed),
   * at once when fewer than `maxActive` run; undefined when the queue is full (refuse it).
   */
  enter(): Promise<() => void> | undefined {
    if (this.active < this.maxActive && this.waiting === 0) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    if (this.waiting >= this.maxWaiting) {
      this.refused++;
      return undefined;
    }
    return new Promise((resolve) => {
      this.queue.push(() => resolve(this.releaser()));
    });
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.queue.shift();
      // The turn passes straight to the next in line (active stays the same).
      if (next) next();
      else this.active--;
    };
  }
}
