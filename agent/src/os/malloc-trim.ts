/**
 * Periodic malloc_trim(3) (vigil_net.c `mallocTrim`). glibc keeps what other threads freed in
 * their arenas (V8's compiler and GC helpers, libuv's pool, the health-check worker), so an
 * agent's RSS crept up for hours after its JS heap had stopped growing: the soak measured
 * 7.8-8.1 MB/h on 30-minute runs with MALLOC_ARENA_MAX=2 already set, and one trim on agents 9
 * minutes old gave back 7.8 and 14.3 MB. A trim costs well under a millisecond here; once a
 * minute it is noise beside a 1 s advert interval.
 */
import type { NativeAddon } from './native.ts';

export const MALLOC_TRIM_EVERY_MS = 60_000;

/** Starts trimming; returns the stop. Without the addon (not built, not glibc) it does nothing. */
export function startMallocTrim(native: Pick<NativeAddon, 'mallocTrim'> | undefined, everyMs = MALLOC_TRIM_EVERY_MS): () => void {
  if (typeof native?.mallocTrim !== 'function') return () => {};
  const timer = setInterval(() => native.mallocTrim(), everyMs);
  timer.unref(); // never what keeps a stopping agent alive
  return () => clearInterval(timer);
}

/** The addon if it loads (an agent without it cannot elect anyway; that error is said elsewhere). */
export async function nativeIfBuilt(): Promise<NativeAddon | undefined> {
  try {
    return (await import('./native.ts')).loadNative();
  } catch {
    return undefined;
  }
}
