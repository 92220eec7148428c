/**
 * What an attacker with write access to the database (triggers disabled) can do to the audit
 * chain: rewrite a row and recompute every hash after it, so the chain is internally
 * consistent again. Only the signed checkpoints (and the witness outside the database) can
 * tell; the tests use this to prove they do.
 */
import { asc, eq, gte, lt, desc } from 'drizzle-orm';
import type { Db } from '../../control-plane/src/db.ts';
import { eventHash, GENESIS_HASH } from '../../control-plane/src/services/events/chain.ts';
import { events } from '../../schema/src/tables/index.ts';

export async function recomputeChain(db: Db, o: { fromId: number; rewriteActor: string }): Promise<number> {
  const [before] = await db.select({ hash: events.hash }).from(events).where(lt(events.id, o.fromId)).orderBy(desc(events.id)).limit(1);
  let prev = before?.hash ?? GENESIS_HASH;
  const rows = await db.select().from(events).where(gte(events.id, o.fromId)).orderBy(asc(events.id));
  let n = 0;
  for (const row of rows) {
    const actor = n === 0 ? o.rewriteActor : row.actor;
    const hash = eventHash(prev, { ...row, actor });
    await db.update(events).set({ actor, prevHash: prev, hash }).where(eq(events.id, row.id));
    prev = hash;
    n++;
  }
  return n;
}
