/**
 * Retention of the audit log: whole daily partitions older than the retention period are
 * dropped (never rows: the log stays append-only), oldest first, each recorded in
 * `audit_retention` with its last row's id and hash, and the pruning itself is appended to the
 * log as `audit.pruned`.
 *
 * Verification must still work from what is kept: a partition is dropped only when a signed
 * checkpoint anchors a row after it. The retained rows are then recomputed from the recorded
 * hash up to that checkpoint, whose signature covers every hash before it, so a retained row
 * cannot be altered without the full verification failing (verify.ts). Without an audit key
 * (no checkpoints) the retention records are the only anchor, and the prune says so.
 */
import { rowsOf } from '../../db.ts';
import { desc, sql } from 'drizzle-orm';
import { auditCheckpoints, auditRetention } from '../../../../schema/src/tables/index.ts';
import { withTransaction, type ServiceContext } from '../context.ts';
import { appendEvents, CHAIN_LOCK_KEY } from './append.ts';
import { dayOf, listPartitions } from './partitions.ts';

const DAY_MS = 86_400_000;

export interface PruneResult {
  pruned: { partition: string; rows: number; lastEventId: number }[];
  /** A partition old enough that was kept, and why (the oldest one only: pruning is in order). */
  kept?: { partition: string; reason: string };
}

/**
 * Drops the partitions whose whole day ended more than `retentionDays` before `now`. With
 * `requireCheckpoint` (an audit key is configured), stops at the first one no signed
 * checkpoint comes after yet; the next run takes it.
 */
export async function pruneEvents(ctx: ServiceContext, opts: { retentionDays: number; now?: number; requireCheckpoint: boolean }): Promise<PruneResult> {
  if (!Number.isInteger(opts.retentionDays) || opts.retentionDays < 1) throw new Error('retentionDays must be a positive integer');
  const now = opts.now ?? Date.now();
  const cutoffDay = dayOf(now - opts.retentionDays * DAY_MS); // partitions of days before it go
  return withTransaction(ctx, async (tx) => {
    const db = tx.db;
    // Appends wait while partitions go: the chain head never moves into a partition being dropped.
    await db.execute(sql`select pg_advisory_xact_lock(${CHAIN_LOCK_KEY})`);
    const old = (await listPartitions(db)).filter((p) => p.day < cutoffDay);
    const result: PruneResult = { pruned: [] };
    const [newestCheckpoint] = await db.select({ eventId: auditCheckpoints.eventId }).from(auditCheckpoints).orderBy(desc(auditCheckpoints.eventId)).limit(1);
    for (const p of old) {
      const [stats] = rowsOf<{ rows: string | number; last_id: string | number | null; last_hash: string | null }>(await db.execute(sql.raw(
        `select count(*) as rows, max(id) as last_id, (select hash from ${p.name} order by id desc limit 1) as last_hash from ${p.name}`,
      )));
      const rows = Number(stats?.rows ?? 0);
      if (rows > 0) {
        const lastId = Number(stats!.last_id);
        if (opts.requireCheckpoint && !(newestCheckpoint && newestCheckpoint.eventId > lastId)) {
          result.kept = { partition: p.name, reason: `no signed checkpoint after its last event (${lastId}) yet` };
          break;
        }
        // The pruned rows must be a prefix of the chain: a clock stepped back can put a later
        // id into an earlier day, and dropping that day would cut a hole in the chain.
        const [after] = rowsOf<{ first: string | number | null }>(await db.execute(sql`select min(id) as first from events where received_at >= ${new Date((p.day + 1) * DAY_MS).toISOString()}::timestamptz`));
        if (after?.first !== null && after?.first !== undefined && Number(after.first) < lastId) {
          result.kept = { partition: p.name, reason: `its events interleave with a later day's (event ${Number(after.first)} is newer by id): the clock went back; pruning stops here, prune by hand once the later day has aged out too` };
          break;
        }
        await db.insert(auditRetention).values({
          partition: p.name, rangeFrom: new Date(p.day * DAY_MS), rangeTo: new Date((p.day + 1) * DAY_MS), rows, lastEventId: lastId, lastHash: stats!.last_hash!, retentionDays: opts.retentionDays,
        });
        result.pruned.push({ partition: p.name, rows, lastEventId: lastId });
      }
      await db.execute(sql.raw(`drop table ${p.name}`));
    }
    if (result.pruned.length) {
      await appendEvents(tx, [{
        kind: 'audit.pruned',
        details: { retentionDays: opts.retentionDays, partitions: result.pruned.map((x) => x.partition), rows: result.pruned.reduce((n, x) => n + x.rows, 0), throughEventId: result.pruned.at(-1)!.lastEventId },
      }]);
    }
    return result;
  });
}

/** Where a full verification starts: after the last pruned row, or at the genesis. */
export async function retentionStart(ctx: ServiceContext): Promise<{ eventId: number; hash: string } | undefined> {
  const [r] = await ctx.db.select({ eventId: auditRetention.lastEventId, hash: auditRetention.lastHash }).from(auditRetention).orderBy(desc(auditRetention.lastEventId)).limit(1);
  return r;
}

