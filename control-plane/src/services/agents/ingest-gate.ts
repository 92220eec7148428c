/**
 * Backpressure for agent reports. Each director has at most one report being stored at a time
 * (an agent sends its reports one after the other; a second one in flight is a retry racing its
 * original, or abuse), and the process holds at most `maxInFlight` reports in all. A report that
 * finds no room is answered 429 with Retry-After (HTTP); the agent's outbox keeps the events and
 * sends them again, so nothing is lost. The WebSocket needs no gate: it reads an agent's next
 * frame only after the previous one is committed (agent-ws.ts).
 */
export class IngestGate {
  private readonly busy = new Set<string>();
  private inFlight = 0;

  constructor(private readonly maxInFlight = 64) {}

  /** A release function, or undefined when there is no room (answer 429). */
  tryEnter(directorId: string): (() => void) | undefined {
    if (this.busy.has(directorId) || this.inFlight >= this.maxInFlight) return undefined;
    this.busy.add(directorId);
    this.inFlight++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.busy.delete(directorId);
      this.inFlight--;
    };
  }

  /** Waits for room (the WebSocket path: the frame is already read, the socket is paused). */
  async enter(directorId: string, signal?: AbortSignal): Promise<(() => void) | undefined> {
    for (let wait = 5; ; wait = Math.min(wait * 2, 200)) {
      const release = this.tryEnter(directorId);
      if (release || signal?.aborted) return release;
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  get load(): number {
    return this.inFlight;
  }
}
