import { and, desc, eq, sql } from 'drizzle-orm';
import { events } from '../../../../schema/src/tables/index.ts';
import { actorLabel, withTransaction, type ServiceContext } from '../context.ts';
import { eventHash, GENESIS_HASH } from './chain.ts';

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

/**
 * Appends one event to the chained audit log. Joins the caller's transaction, so an admin
 * write and its event commit together. Returns the stored row; a repeated (source, sourceSeq)
 * returns the row stored the first time with `duplicate: true`.
 */
export async function appendEvent(ctx: ServiceContext, input: AppendEventInput): Promise<EventRow & { duplicate: boolean }> {
  return withTransaction(ctx, async ({ db }) => {
    // Serialise appends so `prevHash` is the hash of the row with the next-lower id.
    await db.execute(sql`select pg_advisory_xact_lock(${CHAIN_LOCK_KEY})`);
    if (input.source != null && input.sourceSeq != null) {
      const [existing] = await db
        .select()
        .from(events)
        .where(and(eq(events.source, input.source), eq(events.sourceSeq, input.sourceSeq)))
        .limit(1);
      if (existing) return { ...existing, duplicate: true };
    }
    const [last] = await db.select({ hash: events.hash }).from(events).orderBy(desc(events.id)).limit(1);
    const prevHash = last?.hash ?? GENESIS_HASH;
    const fields = {
      siteId: input.siteId ?? null,
      clusterId: input.clusterId ?? null,
      directorId: input.directorId ?? null,
      instance: input.instance ?? null,
      kind: input.kind,
      actor: input.actor ?? actorLabel(ctx.actor),
      details: input.details ?? {},
      agentTime: input.agentTime ?? null,
      receivedAt: new Date(),
      source: input.source ?? null,
      sourceSeq: input.sourceSeq ?? null,
    };
    const [row] = await db.insert(events).values({ ...fields, prevHash, hash: eventHash(prevHash, fields) }).returning();
    return { ...row!, duplicate: false };
  });
}
