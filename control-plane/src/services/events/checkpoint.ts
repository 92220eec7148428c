/**
 * Signed checkpoints of the audit chain (audit/signer.ts). A checkpoint is written only after
 * the chain from the previous checkpoint up to the new head has been verified, so the chain up
 * to the newest checkpoint is always known good and verification from there on is bounded by
 * what was appended since (a checkpoint interval's worth).
 */
import { asc, desc, gt, and, lte, eq } from 'drizzle-orm';
import { auditCheckpoints, events } from '../../../../schema/src/tables/index.ts';
import type { AuditSigner, Checkpoint } from '../../audit/signer.ts';
import type { ServiceContext } from '../context.ts';
import { eventHash, GENESIS_HASH } from './chain.ts';

export type SegmentResult =
  | { ok: true; checked: number; head: { eventId: number; hash: string } }
  | { ok: false; checked: number; brokenAt: { id: number; reason: 'prev_hash_mismatch' | 'hash_mismatch' } };

const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));

/**
 * Walks the chain after `from` (exclusive) up to `to` (inclusive), recomputing every hash, in
 * pages, yielding to the event loop between pages so a long walk never stalls the server.
 */
export async function verifySegment(ctx: ServiceContext, from: { eventId: number; hash: string }, to?: number, pageSize = 1000): Promise<SegmentResult> {
  let prev = from.hash;
  let after = from.eventId;
  let checked = 0;
  for (;;) {
    const where = to === undefined ? gt(events.id, after) : and(gt(events.id, after), lte(events.id, to));
    const batch = await ctx.db.select().from(events).where(where).orderBy(asc(events.id)).limit(pageSize);
    if (batch.length === 0) return { ok: true, checked, head: { eventId: after, hash: prev } };
    for (const row of batch) {
      if (row.prevHash !== prev) return { ok: false, checked, brokenAt: { id: row.id, reason: 'prev_hash_mismatch' } };
      if (eventHash(prev, row) !== row.hash) return { ok: false, checked, brokenAt: { id: row.id, reason: 'hash_mismatch' } };
      prev = row.hash;
      after = row.id;
      checked++;
    }
    await yieldToLoop();
  }
}

export const toCheckpoint = (r: typeof auditCheckpoints.$inferSelect): Checkpoint => ({ eventId: r.eventId, hash: r.hash, createdAt: r.createdAt.toISOString(), keyId: r.keyId, signature: r.signature });

export async function latestCheckpoint(ctx: ServiceContext): Promise<Checkpoint | undefined> {
  const [row] = await ctx.db.select().from(auditCheckpoints).orderBy(desc(auditCheckpoints.id)).limit(1);
  return row ? toCheckpoint(row) : undefined;
}

/**
 * Verifies what was appended since the newest checkpoint and, if the chain is intact and has
 * moved, signs and stores a checkpoint of its head (and writes the witness file). Returns the
 * new checkpoint, undefined when nothing moved, or the break it found (no checkpoint then).
 */
export async function createCheckpoint(ctx: ServiceContext, signer: AuditSigner): Promise<{ created?: Checkpoint; broken?: SegmentResult }> {
  const last = await latestCheckpoint(ctx);
  const from = last ? { eventId: last.eventId, hash: last.hash } : { eventId: 0, hash: GENESIS_HASH };
  if (last) {
    // The anchor itself must still be in the chain as it was signed.
    const [row] = await ctx.db.select({ hash: events.hash }).from(events).where(eq(events.id, last.eventId)).limit(1);
    if (!row || row.hash !== last.hash) return { broken: { ok: false, checked: 0, brokenAt: { id: last.eventId, reason: 'hash_mismatch' } } };
  }
  const seg = await verifySegment(ctx, from);
  if (!seg.ok) return { broken: seg };
  if (seg.head.eventId === from.eventId) return {};
  const c = signer.sign({ eventId: seg.head.eventId, hash: seg.head.hash, createdAt: new Date().toISOString() });
  await ctx.db.insert(auditCheckpoints).values({ eventId: c.eventId, hash: c.hash, createdAt: new Date(c.createdAt), keyId: c.keyId, signature: c.signature });
  signer.writeWitness(c);
  return { created: c };
}

export async function listCheckpoints(ctx: ServiceContext, limit: number): Promise<Checkpoint[]> {
  const rows = await ctx.db.select().from(auditCheckpoints).orderBy(desc(auditCheckpoints.id)).limit(limit);
  return rows.map(toCheckpoint);
}
