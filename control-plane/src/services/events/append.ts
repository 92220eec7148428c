import { rowsOf } from '../../db.ts';
import { and, desc, eq, sql } from 'drizzle-orm';
import { events } from '../../../../schema/src/tables/index.ts';
import { actorLabel, withTransaction, type ServiceContext } from '../context.ts';
import { eventHash, GENESIS_HASH, type ChainedFields } from './chain.ts';
import { notifyEventsAppended } from './notify.ts';
import { dayOf, ensurePartitions, partitionName } from './partitions.ts';


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
export const CHAIN_LOCK_KEY = 0x76_69_67_6c; // "vigl"

/** Rows per INSERT statement. */
const INSERT_CHUNK = 2000;
/** Events hashed between two turns of the event loop. */
const YIELD_EVERY = 200;

/** An agent clock further than this from the receive time is beyond any normal NTP error. */
const SKEW_CLAMP_MS = 2_000_000_000;

/**
 * Appends events to the chained audit log in a bounded number of statements whatever their
 * number: the chain lock, one de-duplication query, the chain head, the ids, and one INSERT per
 * two thousand rows, with every hash computed in memory in between. Joins the caller's
/** Stored; the same event again; another event under a (source, sourceSeq) already taken. */
export type AppendStatus = 'stored' | 'duplicate' | 'conflict';
const identity = (kind: string, agentTime: Date | null) => `${kind}\u0000${agentTime === null ? '' : agentTime.getTime()}`;

/**
 * Appends events to the chained audit log in a bounded number of statements whatever their
 * number: the chain lock, one de-duplication query, the chain head, the ids, and one INSERT per
 * two thousand rows, with every hash computed in memory in between. Joins the caller's
 * transaction (so an admin write and its event commit together). Events whose (source,
 * sourceSeq) is already stored, or repeated in the batch, store nothing: `duplicate` when kind
 * and agent time agree with what is stored, `conflict` when another event holds that key;
 * `status[i]` says which for `inputs[i]`.
 */
export async function appendEvents(ctx: ServiceContext, inputs: AppendEventInput[], clock: () => Date = () => new Date()): Promise<{ stored: EventRow[]; duplicates: number; status: AppendStatus[] }> {
  if (inputs.length === 0) return { stored: [], duplicates: 0, status: [] };
  return withTransaction(ctx, async ({ db }) => {
    // Serialise appends so `prevHash` is the hash of the row with the next-lower id; the same
    // query says whether today's partition exists (a clock that jumped past the ones created
    // ahead: create it now rather than fail the insert).
    const receivedAt = clock();
    const day = dayOf(receivedAt);
    const [lock] = rowsOf<{ partition: string | null }>(await db.execute(sql`select pg_advisory_xact_lock(${CHAIN_LOCK_KEY}), to_regclass(${partitionName(day)})::text as partition`));
    if (!lock?.partition) await ensurePartitions(db, [day]);
    const keys = inputs.filter((i) => i.source != null && i.sourceSeq != null).map((i) => ({ source: i.source!, seq: i.sourceSeq! }));
    // What is stored under each key: the same event sent again (kind and agent time agree) is a
    // duplicate; another event under a seq already taken is a conflict.
    const stored = new Map<string, string>();
    if (keys.length) {
      type Row = { source: string; source_seq: string | number; kind: string; agent_time: string | Date | null };
      const rows = rowsOf<Row>(await db.execute(sql`select e.source, e.source_seq, e.kind, e.agent_time from events e
        join jsonb_to_recordset(${JSON.stringify(keys)}::jsonb) as k(source text, seq bigint) on e.source = k.source and e.source_seq = k.seq`));
      for (const r of rows) stored.set(`${r.source}\u0000${Number(r.source_seq)}`, identity(r.kind, r.agent_time === null ? null : new Date(r.agent_time)));
    }
    const fresh: AppendEventInput[] = [];
    const status: AppendStatus[] = [];
    let duplicates = 0;
    for (const i of inputs) {
      if (i.source != null && i.sourceSeq != null) {
        const key = `${i.source}\u0000${i.sourceSeq}`;
        const held = stored.get(key);
        if (held !== undefined) {
          duplicates++;
          status.push(held === identity(i.kind, i.agentTime ?? null) ? 'duplicate' : 'conflict');
          continue;
        }
        stored.set(key, identity(i.kind, i.agentTime ?? null)); // a seq repeated inside one batch is stored once too
      }
      status.push('stored');
      fresh.push(i);
    }
    if (fresh.length === 0) return { stored: [], duplicates, status };
    const [last] = await db.select({ hash: events.hash }).from(events).orderBy(desc(events.id)).limit(1);
    const ids = (await db.execute<{ id: string | number }>(sql`select nextval(pg_get_serial_sequence('events', 'id')) as id from generate_series(1, ${fresh.length})`)) as unknown as { rows?: { id: string | number }[] } & { id: string | number }[];
    const idList = (ids.rows ?? ids).map((r) => Number(r.id)).sort((a, b) => a - b);
    let prevHash = last?.hash ?? GENESIS_HASH;
    const out: EventRow[] = [];
    for (const [n, input] of fresh.entries()) {
      // Hashing is CPU: let the event loop breathe between slices of a large batch.
      if (n > 0 && n % YIELD_EVERY === 0) await new Promise<void>((r) => setImmediate(r));
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
      out.push({ id: idList[n]!, ...fields, clockSkewMs: fields.clockSkewMs ?? null, prevHash, hash });
      prevHash = hash;
    }
    // One statement per chunk: the rows travel as one JSON document (jsonb_to_recordset), so
    // the cost is one parameter and Postgres' JSON parser, not a query builder over 16 values
    // a row; what is stored is exactly what was hashed.
    for (let i = 0; i < out.length; i += INSERT_CHUNK) {
      const doc = JSON.stringify(out.slice(i, i + INSERT_CHUNK).map((r) => ({
        id: r.id, site_id: r.siteId, cluster_id: r.clusterId, director_id: r.directorId, instance: r.instance, kind: r.kind, actor: r.actor,
        details: r.details, agent_time: r.agentTime?.toISOString() ?? null, received_at: r.receivedAt.toISOString(), source: r.source,
        source_seq: r.sourceSeq, prev_hash: r.prevHash, hash: r.hash, clock_skew_ms: r.clockSkewMs,
      })));
      await db.execute(sql`insert into events (id, site_id, cluster_id, director_id, instance, kind, actor, details, agent_time, received_at, source, source_seq, prev_hash, hash, clock_skew_ms)
        select id, site_id, cluster_id, director_id, instance, kind, actor, details, agent_time, received_at, source, source_seq, prev_hash, hash, clock_skew_ms
        from jsonb_to_recordset(${doc}::jsonb) as r(id bigint, site_id uuid, cluster_id uuid, director_id uuid, instance text, kind text, actor text, details jsonb, agent_time timestamptz, received_at timestamptz, source text, source_seq bigint, prev_hash text, hash text, clock_skew_ms integer)
        order by id`);
    }
    // Live readers in every replica wake at commit (notify.ts).
    await notifyEventsAppended(db, idList[idList.length - 1]!);
    return { stored: out, duplicates, status };
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
