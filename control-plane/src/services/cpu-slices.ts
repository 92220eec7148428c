/**
 * Synchronous CPU work (parsing an agent's frame and its events) run in slices of the event
 * loop. A burst of reports from two thousand agents arrives in the same poll phase; handled
 * where they arrive, every one of them is parsed before the loop turns again, and a timer, a
 * database answer or a health probe waits for all of them (the event-loop delay p99 was 60–90 ms
 * under sustained ingest). Here each job runs in arrival order until the slice's budget is
 * spent, and the rest waits for the next turn (setImmediate queued from the check phase runs
 * in the next iteration, after timers and I/O).
 *
 * A job's result is delivered as a promise; what the caller does after it (the gate, the
 * commit queue) is light. A job that throws rejects its own promise only.
 */
import { Fifo } from './fifo.ts';

export const SLICE_BUDGET_MS = 5;

interface Job { run: () => unknown; resolve: (v: unknown) => void; reject: (e: unknown) => void }

export class CpuSlices {
  private readonly queue = new Fifo<Job>();
  private scheduled = false;
  /** Slices run and jobs done (metrics, tests). */
  slices = 0;
  jobs = 0;

  constructor(private readonly budgetMs = SLICE_BUDGET_MS, private readonly now: () => number = () => performance.now()) {}

  run<T>(job: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run: job, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.slice);
      }
    });
  }

  get waiting(): number {
    return this.queue.size;
  }

  private readonly slice = () => {
    const start = this.now();
    this.slices++;
    // At least one job a slice, so a job longer than the budget still makes progress.
    do {
      const job = this.queue.shift()!;
      this.jobs++;
      try {
        job.resolve(job.run());
      } catch (e) {
        job.reject(e);
      }
    } while (this.queue.size > 0 && this.now() - start < this.budgetMs);
    if (this.queue.size > 0) setImmediate(this.slice);
    else this.scheduled = false;
  };
}

/** The process's slices (one event loop, one budget). */
export const cpuSlices = new CpuSlices();

/**
 * For a loop of CPU work inside an async task: `await pause()` yields a turn of the event loop
 * only once `budgetMs` of work has run since the last turn. Counting iterations instead (every
 * five clusters) made a reconnect flood of ten thousand agents slow: each of a read's hundred
 * yields waited a whole busy turn, where the work itself needed a few milliseconds.
 */
export function sliceBudget(budgetMs = SLICE_BUDGET_MS, restMs = 0, now: () => number = () => performance.now()): () => Promise<void> {
  let since = now();
  const resume = (r: () => void) => () => {
    since = now();
    r();
  };
  return () => {
    if (now() - since < budgetMs) return Promise.resolve();
    // restMs: background work (the audit checkpoint's walk) also leaves the CPU to everything
    // else for that long after each slice, so it takes at most budget / (budget + rest) of it.
    return new Promise<void>((r) => (restMs > 0 ? setTimeout(resume(r), restMs) : setImmediate(resume(r))));
  };
}
