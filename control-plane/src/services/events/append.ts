import { executePrepared, rowsOf } from '../../db.ts';
import { and, eq, sql } from 'drizzle-orm';
import { events } from '../../../../schema/src/tables/index.ts';
import { actorLabel, withTransaction, type ServiceContext } from '../context.ts';
import { chainHash, eventBody, GENESIS_HASH, type ChainedFields } from './chain.ts';
import { eventsAppendedNotify } from './notify.ts';
import { sliceBudget } from '../cpu-slices.ts';
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

/** A Postgres array as the drivers return it: an array (postgres.js), or its text form (`{1,2}`). */
const pgArray = (v: (string | number)[] | string): (string | number)[] => (Array.isArray(v) ? v : v.replace(/^\{|\}$/g, '').split(',').filter((x) => x !== ''));

/** Rows per INSERT statement. */
const INSERT_CHUNK = 2000;

/** An agent clock further than this from the receive time is beyond any normal NTP error. */
const SKEW_CLAMP_MS = 2_000_000_000;

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
    // Every event's fields and canonical body before the chain lock: under it, only the
    // chained sha256 is left to compute (with two replicas, the other one waits on the lock for
    // as long as this one holds it).
    const pause = sliceBudget();
    const prepared: { fields: ChainedFields; body: string }[] = [];
    for (const input of inputs) {
      await pause();
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
      prepared.push({ fields, body: eventBody(fields) });
    }
    const [lock] = rowsOf<{ partition: string | null }>(await executePrepared(db, sql`select pg_advisory_xact_lock(${CHAIN_LOCK_KEY}), to_regclass(${partitionName(day)})::text as partition`));
    if (!lock?.partition) await ensurePartitions(db, [day]);
    const keys = inputs.filter((i) => i.source != null && i.sourceSeq != null).map((i) => ({ source: i.source!, seq: i.sourceSeq! }));
    // What is stored under each key: the same event sent again (kind and agent time agree) is a
    // duplicate; another event under a seq already taken is a conflict.
    const stored = new Map<string, string>();
    if (keys.length) {
      type Row = { source: string; source_seq: string | number; kind: string; agent_time: string | Date | null };
      // Planned for its own keys every time (not prepared): under a generic plan this lookup
      // slowed with the table (1.1 → 6.8 ms a group of 10 events over 4,800 groups).
      const rows = rowsOf<Row>(await db.execute(sql`select e.source, e.source_seq, e.kind, e.agent_time from events e
        join jsonb_to_recordset(${JSON.stringify(keys)}::jsonb) as k(source text, seq bigint) on e.source = k.source and e.source_seq = k.seq`));
      for (const r of rows) stored.set(`${r.source}\u0000${Number(r.source_seq)}`, identity(r.kind, r.agent_time === null ? null : new Date(r.agent_time)));
    }
    const fresh: { fields: ChainedFields; body: string }[] = [];
    const status: AppendStatus[] = [];
    let duplicates = 0;
    for (const [k, i] of inputs.entries()) {
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
      fresh.push(prepared[k]!);
    }
    if (fresh.length === 0) return { stored: [], duplicates, status };
    // The chain head and the ids in one round trip (each one is a wait for the event loop's
    // turn when a site-wide change keeps it busy).
    const [head] = rowsOf<{ last: string | null; ids: (string | number)[] | string }>(await executePrepared(db, sql`select
      (select hash from events order by id desc limit 1) as last,
      array(select nextval(pg_get_serial_sequence('events', 'id')) from generate_series(1, ${fresh.length})) as ids`));
    const idList = pgArray(head!.ids).map(Number).sort((a, b) => a - b);
    const first = head?.last ?? GENESIS_HASH;
    let prevHash = first;
    const hashes: string[] = [];
    // Under the lock only the chained sha256 of bodies already written (a microsecond or two
    // each). A body is not needed once hashed: dropped here, not held across the inserts' round
    // trips (a group commit's bodies are megabytes, and every scavenge meanwhile copies what lives).
    for (const [n, f] of fresh.entries()) {
      if (n % 1000 === 999) await pause();
      prevHash = chainHash(prevHash, f.body);
      hashes.push(prevHash);
      f.body = '';
    }
    const prevOf = (n: number) => (n === 0 ? first : hashes[n - 1]!);
    // One statement per chunk: the rows travel as one JSON document (jsonb_array_elements), so
    // the cost is one parameter and Postgres' JSON parser, not a query builder over 16 values
    // a row; what is stored is exactly what was hashed.
    for (let i = 0; i < fresh.length; i += INSERT_CHUNK) {
      const lastChunk = i + INSERT_CHUNK >= fresh.length;
      // Each row an array in column order (not an object: the key names were a third of the
      // bytes the driver copies and Postgres parses).
      const doc = JSON.stringify(fresh.slice(i, i + INSERT_CHUNK).map(({ fields: r }, k) => [
        idList[i + k], r.siteId, r.clusterId, r.directorId, r.instance, r.kind, r.actor, r.details, r.agentTime?.toISOString() ?? null,
        r.receivedAt.toISOString(), r.source, r.sourceSeq, prevOf(i + k), hashes[i + k], r.clockSkewMs ?? null,
      ]));
      const insert = sql`insert into events (id, site_id, cluster_id, director_id, instance, kind, actor, details, agent_time, received_at, source, source_seq, prev_hash, hash, clock_skew_ms)
        select (r->>0)::bigint, (r->>1)::uuid, (r->>2)::uuid, (r->>3)::uuid, r->>4, r->>5, r->>6, r->7, (r->>8)::timestamptz, (r->>9)::timestamptz, r->>10, (r->>11)::bigint, r->>12, r->>13, (r->>14)::integer
        from jsonb_array_elements(${doc}::jsonb) as r
        order by 1`;
      // The last chunk carries the NOTIFY that wakes live readers in every replica at commit
      // (notify.ts): a data-modifying CTE runs whatever the outer query reads.
      await executePrepared(db, lastChunk ? sql`with ins as (${insert}) ${eventsAppendedNotify(idList[idList.length - 1]!)}` : insert);
    }
    // The stored rows as objects only for a caller that reads them (a group commit needs the
    // statuses alone).
    let rows: EventRow[] | undefined;
    return {
      get stored(): EventRow[] {
        rows ??= fresh.map(({ fields }, n) => ({ id: idList[n]!, ...fields, clockSkewMs: fields.clockSkewMs ?? null, prevHash: prevOf(n), hash: hashes[n]! }));
        return rows;
      },
      duplicates,
      status,
    };
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
