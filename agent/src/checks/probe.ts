/**
 * The contract every real-server health probe implements, and the one runner that makes the
 * contract hold: a probe always resolves (never throws, never hangs), within a hard deadline,
 * and releases every socket and child process it opened before (or right as) it resolves.
 *
 * A probe is one attempt. Retries, delay_loop, alpha/warmup and up/down state belong to the
 * scheduler that calls the probes (keepalived's `*_epilog` functions), not here.
 */
import type { Checker } from '#schema';

/** The outcome of one probe. `reason` is short and precise: it goes into logs and events. */
export type ProbeResult =
  | {
      ok: true;
      /** MISC_CHECK with misc_dynamic: the real server's new weight (exit code - 2). */
      weight?: number;
      /**
       * FILE_CHECK with a non-zero weight: value x weight (negated with `reverse`), added to the
       * real server's weight (keepalived's checker `cur_weight`; the sum is clamped by the caller).
       */
      weightOffset?: number;
    }
  | { ok: false; reason: string };

/** Where the real server is: the checker's connect_ip/connect_port override these. */
export interface ProbeTarget {
  address: string;
  port: number;
}

export interface ProbeOptions {
  /**
   * Hard deadline of the attempt in ms: connect_timeout for the network checkers (per url for
   * HTTP_GET/SSL_GET, each url being its own connection as in keepalived); for MISC_CHECK
   * misc_timeout wins when set (the caller passes delay_loop otherwise, as keepalived does).
   */
  timeoutMs: number;
  /** Aborts the attempt (shutdown, reload): resolves `{ ok: false, reason: 'aborted' }`. */
  signal: AbortSignal;
}

export type Probe<C extends Checker = Checker> = (checker: C, target: ProbeTarget, opts: ProbeOptions) => Promise<ProbeResult>;

/** What a probe body gets from the runner. */
export interface ProbeScope {
  /** Aborted when the deadline passes or the caller aborts: stop work, the result is decided. */
  signal: AbortSignal;
  /** Registers a cleanup (destroy a socket, kill a process group); runs once, in reverse order. */
  defer(cleanup: () => void): void;
  /** Sets what the attempt is doing, for the timeout reason ("timeout after 5000 ms reading status"). */
  phase(what: string): void;
}

export const ok = (): ProbeResult => ({ ok: true });
export const fail = (reason: string): ProbeResult => ({ ok: false, reason });

/**
 * Runs `body` under a hard deadline. The first of (body settles, deadline, caller abort) decides
 * the result; then every deferred cleanup runs. An exception from `body` becomes a failure
 * whose reason is the error's message (a probe bug must not kill the scheduler).
 */
export function runProbe(opts: ProbeOptions, timeoutMs: number, body: (scope: ProbeScope) => Promise<ProbeResult>): Promise<ProbeResult> {
  return new Promise<ProbeResult>((resolve) => {
    const controller = new AbortController();
    const cleanups: (() => void)[] = [];
    let phase = '';
    let done = false;
    const finish = (result: ProbeResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      opts.signal.removeEventListener('abort', onAbort);
      controller.abort();
      for (const cleanup of cleanups.reverse()) {
        try {
          cleanup();
        } catch {
          /* a cleanup failing must not stop the others */
        }
      }
      resolve(result);
    };
    const onAbort = () => finish(fail('aborted'));
    const ms = Math.max(1, Math.floor(timeoutMs));
    const timer = setTimeout(() => finish(fail(`timeout after ${ms} ms${phase ? ` ${phase}` : ''}`)), ms);
    if (opts.signal.aborted) return finish(fail('aborted'));
    opts.signal.addEventListener('abort', onAbort, { once: true });
    const scope: ProbeScope = {
      signal: controller.signal,
      defer: (cleanup) => {
        if (done) {
          try {
            cleanup();
          } catch {
            /* already finished: release immediately */
          }
        } else cleanups.push(cleanup);
      },
      phase: (what) => {
        phase = what;
      },
    };
    Promise.resolve()
      .then(() => body(scope))
      .then(finish, (err: unknown) => finish(fail(errorReason(err))));
  });
}

/** "connect ECONNREFUSED" from a Node system error, else the message. */
export function errorReason(err: unknown, what?: string): string {
  const e = err as { code?: unknown; syscall?: unknown; message?: unknown } | undefined;
  if (e && typeof e.code === 'string' && /^E[A-Z0-9]+$/.test(e.code)) {
    const verb = what ?? (typeof e.syscall === 'string' ? e.syscall : 'error');
    return `${verb} ${e.code}`;
  }
  const message = e && typeof e.message === 'string' ? e.message : String(err);
  return what ? `${what}: ${message}` : message;
}
