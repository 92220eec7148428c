import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import { events } from '../../../../schema/src/tables/index.ts';
import { actorLabel, withTransaction, type ServiceContext } from '../context.ts';
import { eventHash, GENESIS_HASH, type ChainedFields } from './chain.ts';
import { notifyEventsAppended } from './notify.ts';

export interface AppendEventInput {
  kind: string;
  siteId?: string | null;
  clusterId?: string | null;
  directorId?: string | null;
  instance?: string | null;
  details?: Record<string, unknown>;
  agentTime?: Date | null;
  /** Overrides the actor label (agents report as `agent:<director>`). */
  actor?: string;
  /** De-duplication key for at-least-once senders: (source, sourceSeq) is stored once. */
  source?: string | null;
  sourceSeq?: number | null;
}

export type EventRow = typeof events.$inferSelect;

/** Arbitrary but fixed key for the advisory lock that serialises appends to the chain. */
const CHAIN_LOCK_KEY = 0x76_69_67_6c; // "vigl"

/** Rows per INSERT statement (16 parameters each, well under Postgres' 65,535). */
const INSERT_CHUNK = 1000;

/** An agent clock further than this from the receive time is beyond any normal NTP error. */
const SKEW_CLAMP_MS = 2_000_000_000;

/**
 * Appends events to the chained audit log in a bounded number of statements whatever their
 * number: the chain lock, one de-duplication query per source, the chain head, the ids, and one
 * multi-row INSERT per thousand rows, with every hash computed in memory in between. Joins the
 * caller's transaction (so an admin write and its event commit together). Events whose
 * (source, sourceSeq) is already stored, or repeated in the batch, come back `duplicate: true`
 * and are stored nothing of.
 */
export async function appendEvents(ctx: ServiceContext, inputs: AppendEventInput[]): Promise<{ stored: EventRow[]; duplicates: number }> {
  if (inputs.length === 0) return { stored: [], duplicates: 0 };
  return withTransaction(ctx, async ({ db }) => {
    // Serialise appends so `prevHash` is the hash of the row with the next-lower id.
    await db.execute(sql`select pg_advisory_xact_lock(${CHAIN_LOCK_KEY})`);
    const seen = new Map<string, Set<number>>();
    for (const i of inputs) if (i.source != null && i.sourceSeq != null) {
      const s = seen.get(i.source) ?? new Set<number>();
      s.add(i.sourceSeq);
      seen.set(i.source, s);
    }
    const stored = new Map<string, Set<number>>();
    for (const [source, seqs] of seen) {
      const rows = await db.select({ seq: events.sourceSeq }).from(events).where(and(eq(events.source, source), inArray(events.sourceSeq, [...seqs])));
      stored.set(source, new Set(rows.map((r) => r.seq!)));
    }
    const fresh: AppendEventInput[] = [];
    let duplicates = 0;
    for (const i of inputs) {
      if (i.source != null && i.sourceSeq != null) {
        const s = stored.get(i.source)!;
        if (s.has(i.sourceSeq)) {
          duplicates++;
          continue;
        }
        s.add(i.sourceSeq); // a seq repeated inside one batch is stored once too
      }
      fresh.push(i);
    }
    if (fresh.length === 0) return { stored: [], duplicates };
    const [last] = await db.select({ hash: events.hash }).from(events).orderBy(desc(events.id)).limit(1);
    const ids = (await db.execute<{ id: string | number }>(sql`select nextval(pg_get_serial_sequence('events', 'id')) as id from generate_series(1, ${fresh.length})`)) as unknown as { rows?: { id: string | number }[] } & { id: string | number }[];
    const idList = (ids.rows ?? ids).map((r) => Number(r.id)).sort((a, b) => a - b);
    let prevHash = last?.hash ?? GENESIS_HASH;
    const receivedAt = new Date();
    const values = fresh.map((input, n) => {
      const agentTime = input.agentTime ?? null;
      const fields: ChainedFields = {
        siteId: input.siteId ?? null,
        clusterId: input.clusterId ?? null,
        directorId: input.directorId ?? null,
        instance: input.instance ?? null,
        kind: input.kind,
        actor: input.actor ?? actorLabel(ctx.actor),
        details: input.details ?? {},
        agentTime,
        receivedAt,
        source: input.source ?? null,
        sourceSeq: input.sourceSeq ?? null,
        clockSkewMs: agentTime ? Math.max(-SKEW_CLAMP_MS, Math.min(SKEW_CLAMP_MS, agentTime.getTime() - receivedAt.getTime())) : null,
      };
      const hash = eventHash(prevHash, fields);
      const row = { id: idList[n]!, ...fields, clockSkewMs: fields.clockSkewMs ?? null, prevHash, hash };
      prevHash = hash;
      return row;
    });
    const out: EventRow[] = [];
    for (let i = 0; i < values.length; i += INSERT_CHUNK) {
      out.push(...(await db.insert(events).values(values.slice(i, i + INSERT_CHUNK)).returning()));
    }
    // Live readers in every replica wake at commit (notify.ts).
    await notifyEventsAppended(db, idList[idList.length - 1]!);
    return { stored: out, duplicates };
  });
}

/**
 * Appends one event (an operator's action, with the write it records). A repeated
 * (source, sourceSeq) returns `duplicate: true` with the row stored the first time.
 */
export async function appendEvent(ctx: ServiceContext, input: AppendEventInput): Promise<EventRow & { duplicate: boolean }> {
  return withTransaction(ctx, async (tx) => {
    const r = await appendEvents(tx, [input]);
    if (r.stored[0]) return { ...r.stored[0], duplicate: false };
    const [existing] = await tx.db.select().from(events).where(and(eq(events.source, input.source!), eq(events.sourceSeq, input.sourceSeq!))).limit(1);
    return { ...existing!, duplicate: true };
  });
}
