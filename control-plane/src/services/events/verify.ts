import { asc, gt } from 'drizzle-orm';
import { events } from '../../../../schema/src/tables/index.ts';
import { requireRole, requireUnscoped, type ServiceContext } from '../context.ts';
import { eventHash, GENESIS_HASH } from './chain.ts';

export interface VerifyResult {
  ok: boolean;
  checked: number;
  lastHash: string;
  /** The first row whose stored hash or link does not match, when `ok` is false. */
  brokenAt?: { id: number; reason: 'prev_hash_mismatch' | 'hash_mismatch' };
}

/** Walks the whole chain in id order, recomputing every hash. */
export async function verifyEvents(ctx: ServiceContext): Promise<VerifyResult> {
  requireRole(ctx, 'viewer');
  requireUnscoped(ctx); // the chain spans every site
  let prev = GENESIS_HASH;
  let checked = 0;
  let after = 0;
  for (;;) {
    const batch = await ctx.db.select().from(events).where(gt(events.id, after)).orderBy(asc(events.id)).limit(1000);
    if (batch.length === 0) return { ok: true, checked, lastHash: prev };
    for (const row of batch) {
      if (row.prevHash !== prev) return { ok: false, checked, lastHash: prev, brokenAt: { id: row.id, reason: 'prev_hash_mismatch' } };
      const expected = eventHash(prev, row);
      if (expected !== row.hash) return { ok: false, checked, lastHash: prev, brokenAt: { id: row.id, reason: 'hash_mismatch' } };
      prev = row.hash;
      checked++;
      after = row.id;
    }
  }
}
