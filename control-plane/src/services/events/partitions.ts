/**
 * The audit log's daily partitions (migration 0003): `events_YYYYMMDD` holds the rows received
 * on that UTC day. They are created ahead (today and the next three days, at start and every
 * hour), and an append whose day has none yet (a clock that jumped) creates it first (the
 * check rides on the chain-lock query, events/append.ts), so an insert never fails for want of
 * a partition.
 */
import { sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../../db.ts';

const DAY_MS = 86_400_000;
/** Days created ahead of today. */
export const PARTITIONS_AHEAD = 3;
/** Serialises partition DDL across replicas (CREATE ... IF NOT EXISTS still races). */
const PARTITION_LOCK_KEY = 0x76_69_67_70; // "vigp"

export const dayOf = (t: Date | number) => Math.floor((typeof t === 'number' ? t : t.getTime()) / DAY_MS);
export const partitionName = (day: number) => `events_${new Date(day * DAY_MS).toISOString().slice(0, 10).replaceAll('-', '')}`;
/** `events_20261203` → its day, or undefined for any other name. */
export function partitionDay(name: string): number | undefined {
  const m = /^events_(\d{4})(\d{2})(\d{2})$/.exec(name);
  if (!m) return undefined;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return Number.isFinite(t) ? dayOf(t) : undefined;
}


/** The partitions that exist, oldest first. */
export async function listPartitions(db: Db): Promise<{ name: string; day: number }[]> {
  const rows = rowsOf<{ name: string }>(await db.execute(sql`select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'events'::regclass`));
  return rows.flatMap((r) => {
    const day = partitionDay(r.name);
    return day === undefined ? [] : [{ name: r.name, day }];
  }).sort((a, b) => a.day - b.day);
}

/** Creates the partitions of `days` that do not exist yet. */
export async function ensurePartitions(db: Db, days: number[]): Promise<void> {
  if (days.length === 0) return;
  await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${PARTITION_LOCK_KEY})`);
    for (const day of days) {
      const name = partitionName(day);
      const from = new Date(day * DAY_MS).toISOString();
      const to = new Date((day + 1) * DAY_MS).toISOString();
      await tx.execute(sql.raw(`create table if not exists ${name} partition of events for values from ('${from}') to ('${to}')`));
    }
  });
}

/** Today's and the next days' partitions (the hourly upkeep). */
export function ensureAhead(db: Db, now = Date.now()): Promise<void> {
  const today = dayOf(now);
  return ensurePartitions(db, Array.from({ length: PARTITIONS_AHEAD + 1 }, (_, i) => today + i));
}
