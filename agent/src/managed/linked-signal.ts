/**
 * A signal that aborts when any of `signals` does or after `timeoutMs`, with a `dispose` that
 * unhooks it from them. Not `AbortSignal.any`: on Node 20 each `AbortSignal.any([s, ...])` leaves
 * an entry in `s`'s set of dependants for as long as `s` lives (nodejs/node#55351; 20.20 still
 * does), and the managed agent's stop signal lives as long as the process: one combined signal
 * per poll is a leak that only months of uptime show.
 */
export interface LinkedSignal {
  readonly signal: AbortSignal;
  /** Removes the listeners and the timer (call it when the operation is over, whatever its end). */
  dispose(): void;
}

export function linkedSignal(signals: AbortSignal[], timeoutMs?: number): LinkedSignal {
  const ac = new AbortController();
  const hooked: AbortSignal[] = [];
  let timer: NodeJS.Timeout | undefined;
  const dispose = () => {
    for (const s of hooked) s.removeEventListener('abort', onAbort);
    hooked.length = 0;
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
  function onAbort(this: AbortSignal) {
    ac.abort(this.reason);
    dispose();
  }
  for (const s of signals) {
    if (s.aborted) {
      ac.abort(s.reason);
      dispose();
      return { signal: ac.signal, dispose };
    }
    s.addEventListener('abort', onAbort, { once: true });
    hooked.push(s);
  }
  if (timeoutMs !== undefined) {
    timer = setTimeout(() => {
      ac.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError'));
      dispose();
    }, timeoutMs);
  }
  return { signal: ac.signal, dispose };
}
