/**
 * Group commit for agent reports. Every report needs the chain lock, so concurrent reports
 * would queue on it one transaction each; instead one committer per process takes whatever
 * reports are waiting and stores them in ONE transaction of a bounded number of statements:
 * the directors' state and applied revisions (one UPDATE, which is also the credential check),
 * then every report's events as one chained batch (events/append.ts), then the notifications.
 * Each report then gets its own answer. The guarantees are those of one report alone: all of
 * it or none, every event in exactly one place of the chain, a re-sent batch stored once.
 *
 * A group that fails is retried one report at a time, so one bad report cannot fail the
 * others; its own error goes to its agent, whose outbox keeps the events.
 *
 * A group that has not settled after `deadlineMs` fails (its agents keep the events and send
 * them again; a commit that did land after all stores them once, by (source, seq)), and the
 * committer's pool is replaced (db.ts, DbLane): the driver can lose a transaction's promise after
 * a reset, and one such promise would otherwise hold every later report of the process.
 */
import { sql } from 'drizzle-orm';
import { executePrepared, rowsOf, type Db, type DbLane } from '../../db.ts';
import { AppError } from '../../errors.ts';
import type { ServiceContext } from '../context.ts';
import { withTransaction } from '../context.ts';
import { settleWithin } from '../deadline.ts';
import { appendEvents, type AppendEventInput } from '../events/append.ts';
import { notifyApplied } from './notify.ts';

export interface ReportJob {
  directorId: string;
  clusterId: string;
  credentialHash: string;
  state?: unknown;
  appliedRevision?: number;
  events: AppendEventInput[];
}

export interface JobResult {
  stored: number;
  duplicates: number;
  /** Seqs this director already used for another event (appendEvents' 'conflict'). */
  conflicts: number[];
  /** With conflicts: the highest seq stored for this director (the agent numbers on above it). */
  seqAbove: number | null;
  revisionMoved: boolean;
}

async function highestSeq(db: Db, source: string): Promise<number | null> {
  const [r] = rowsOf<{ m: string | number | null }>(await db.execute(sql`select max(source_seq) as m from events where source = ${source}`));
  return r?.m == null ? null : Number(r.m);
}

/** Stores `jobs` in one transaction; a job whose credential is no longer its director's gets an error. */
export async function commitReports(db: Db, jobs: ReportJob[]): Promise<(JobResult | AppError)[]> {
  const ctx: ServiceContext = { db, actor: { type: 'system', name: 'ingest' } };
  return withTransaction(ctx, async (tx) => {
    const doc = JSON.stringify(jobs.map((j) => ({ id: j.directorId, hash: j.credentialHash, state: j.state ?? null, rev: j.appliedRevision ?? null })));
    const updated = (await executePrepared(tx.db, sql`
      with v as (select * from jsonb_to_recordset(${doc}::jsonb) as v(id uuid, hash text, state jsonb, rev integer)),
      old as (select d.id, d.applied_revision as prev from directors d join v on v.id = d.id and d.credential_hash = v.hash for update of d)
      update directors d set last_seen_at = now(), reported_state = coalesce(v.state, d.reported_state), applied_revision = coalesce(v.rev, d.applied_revision)
      from v join old on old.id = v.id
      where d.id = v.id
      returning d.id, old.prev`)) as unknown as { rows?: { id: string; prev: number | null }[] } & { id: string; prev: number | null }[];
    const prev = new Map((updated.rows ?? updated).map((r) => [r.id, r.prev]));
    const accepted = jobs.filter((j) => prev.has(j.directorId));
    const all = accepted.flatMap((j) => j.events);
    const appended = await appendEvents(tx, all);
    const moved = new Set<string>();
    const results = new Map<ReportJob, JobResult>();
    let k = 0;
    for (const j of accepted) {
      let stored = 0;
      let duplicates = 0;
      const conflicts: number[] = [];
      for (const e of j.events) {
        const s = appended.status[k++];
        if (s === 'stored') stored++;
        else duplicates++;
        if (s === 'conflict' && e.sourceSeq != null) conflicts.push(e.sourceSeq);
      }
      // Rare (a restart after the state disk refused writes): one indexed max per such report.
      const seqAbove = conflicts.length ? await highestSeq(tx.db, j.events[0]!.source!) : null;
      const revisionMoved = j.appliedRevision !== undefined && prev.get(j.directorId) !== j.appliedRevision;
      if (revisionMoved) moved.add(j.clusterId);
      results.set(j, { stored, duplicates, conflicts, seqAbove, revisionMoved });
    }
    // A master held back for its backups (rollout.ts) may go now: wake it, in every replica.
    await notifyApplied(tx.db, [...moved]);
    return jobs.map((j) => results.get(j) ?? new AppError('UNAUTHORIZED', 'this agent credential is no longer valid (the director was re-enrolled, reset or deleted)'));
  });
}

/** A group that did not settle in time: retryable, the agent's outbox keeps the events. */
export class CommitTimeout extends AppError {
  constructor(ms: number) {
    super('UNAVAILABLE', `the database did not finish storing this report within ${ms / 1000} s; it stays in your outbox and is sent again`, { retryAfterSeconds: 2 });
    this.name = 'CommitTimeout';
  }
}

/** A group commit is a few statements; one that takes this long is stuck, not slow. */
export const COMMIT_DEADLINE_MS = 20_000;

export interface CommitterOptions {
  maxEvents?: number;
  maxReports?: number;
  deadlineMs?: number;
  /** Called when a group missed its deadline (after the pool was replaced). */
  onStall?: (reports: number) => void;
}

/** Queues reports and commits whatever is waiting as one group. */
export class ReportCommitter {
  private queue: { job: ReportJob; resolve: (r: JobResult) => void; reject: (e: unknown) => void }[] = [];
  private running = false;
  private readonly lane: DbLane;
  private readonly maxEvents: number;
  private readonly maxReports: number;
  private readonly deadlineMs: number;
  /** Groups committed, reports in them and events they stored, for metrics. */
  groups = 0;
  reports = 0;
  events = 0;
  /** Groups that missed the deadline (each replaced the pool). */
  stalls = 0;

  /** `db`: a lane of its own (replaced when a group is stuck), or a plain Db (never replaced). */
  constructor(db: Db | DbLane, private readonly options: CommitterOptions = {}) {
    this.lane = 'replace' in db ? db : { db, replace: () => {}, close: async () => {} };
    this.maxEvents = options.maxEvents ?? 20_000;
    this.maxReports = options.maxReports ?? 1000;
    this.deadlineMs = options.deadlineMs ?? COMMIT_DEADLINE_MS;
  }

  /** commitReports, or CommitTimeout after the deadline (and a fresh pool for what follows). */
  private async commit(jobs: ReportJob[]): Promise<(JobResult | AppError)[]> {
    try {
      return await settleWithin(commitReports(this.lane.db, jobs), this.deadlineMs, () => new CommitTimeout(this.deadlineMs));
    } catch (e) {
      if (e instanceof CommitTimeout) {
        this.stalls++;
        this.lane.replace();
        this.options.onStall?.(jobs.length);
      }
      throw e;
    }
  }

  submit(job: ReportJob): Promise<JobResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private take() {
    const group: typeof this.queue = [];
    let events = 0;
    while (this.queue.length && group.length < this.maxReports && (group.length === 0 || events + this.queue[0]!.job.events.length <= this.maxEvents)) {
      const next = this.queue.shift()!;
      events += next.job.events.length;
      group.push(next);
    }
    return group;
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length) {
        const group = this.take();
        this.groups++;
        this.reports += group.length;
        try {
          const results = await this.commit(group.map((g) => g.job));
          group.forEach((g, i) => {
            const r = results[i]!;
            if (r instanceof AppError) g.reject(r);
            else {
              this.events += r.stored;
              g.resolve(r);
            }
          });
        } catch (e) {
          // A stuck database fails the group as a whole: one at a time would wait out the deadline each.
          if (group.length === 1 || e instanceof CommitTimeout) {
            for (const g of group) g.reject(e);
            continue;
          }
          // One of them broke the group: each on its own, so only that one fails.
          let stuck: unknown;
          for (const g of group) {
            if (stuck) {
              g.reject(stuck);
              continue;
            }
            try {
              const [r] = await this.commit([g.job]);
              if (r instanceof AppError) g.reject(r);
              else {
                this.events += r!.stored;
                g.resolve(r!);
              }
            } catch (err) {
              if (err instanceof CommitTimeout) stuck = err;
              g.reject(err);
            }
          }
        }
      }
    } finally {
      this.running = false;
    }
  }
}
