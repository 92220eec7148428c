/**
 * A periodic full, incremental V8 garbage collection, on each long-lived isolate: the agent's main
 * thread and its health worker, and the control plane (started by `vigil control-plane`).
 *
 * V8 starts a major GC when old space reaches a limit set by allocation, and its memory reducer
 * (which shrinks an idle heap) only runs after one. An isolate that allocates little promotes its
 * short-lived garbage into old space for a long time before that first mark-compact: the health
 * worker, one TCP connect a second in the soak, grew its old space by 0.14 MB a minute (11.0 ->
 * 13.5 MB over 17 minutes) without a single major GC, and one forced GC took it back to 11.3 MB.
 * That was most of what agents with checkers grew (8.6 MB/h over 30 minutes, against < 5 MB/h
 * for the others). Nothing leaked; V8 was simply lazy about it.
 *
 * `execution: 'async'` makes it an incremental, concurrent GC: the call returns at once (0.05 ms)
 * and marking runs in steps and on helper threads (15 ms to finish on the worker), so an advert
 * due meanwhile is not held up as it would be by a stop-the-world `gc()`.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export const HEAP_GC_EVERY_MS = 60_000;

type GcFunction = (options: { type: 'major'; execution: 'async' }) => Promise<void> | void;

let cached: GcFunction | null | undefined;

/**
 * V8's `gc` extension without starting node with --expose-gc: the flag exposes it to contexts
 * created while it is set, so one new context hands it over, and the flag is cleared again (no
 * other context, the main one included, gets a global `gc`).
 */
export function gcFunction(): GcFunction | undefined {
  if (cached !== undefined) return cached ?? undefined;
  const global = (globalThis as { gc?: GcFunction }).gc;
  if (typeof global === 'function') return (cached = global);
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    cached = typeof gc === 'function' ? (gc as GcFunction) : null;
  } catch {
    cached = null;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
  return cached ?? undefined;
}

/**
 * Starts the periodic GC on this isolate; returns the stop. `gc` defaults to {@link gcFunction},
 * looked up at the first tick (a new context costs ~1 ms, which an agent's start need not pay);
 * `null`: there is none, nothing runs.
 */
export function startHeapGc(everyMs = HEAP_GC_EVERY_MS, gc?: GcFunction | null): () => void {
  if (gc === null) return () => {};
  let running = false;
  const timer = setInterval(() => {
    const collect = gc ?? gcFunction();
    if (!collect) return void clearInterval(timer);
    if (running) return; // an incremental GC still finishing: never stack them
    running = true;
    Promise.resolve()
      .then(() => collect({ type: 'major', execution: 'async' }))
      .catch(() => undefined)
      .finally(() => {
        running = false;
      });
  }, everyMs);
  timer.unref(); // never what keeps a stopping agent (or its worker) alive
  return () => clearInterval(timer);
}
