/**
 * What an attacker with write access to the database (triggers disabled) can do to the audit
 * chain: rewrite a row and recompute every hash after it, so the chain is internally
 * consistent again. Only the signed checkpoints (and the witness outside the database) can
 * tell; the tests use this to prove they do.
 */
import { asc, gte, lt, desc, sql } from 'drizzle-orm';
import type { Db } from '../../control-plane/src/db.ts';
import { eventHash, GENESIS_HASH } from '../../control-plane/src/services/events/chain.ts';
import { events } from '../../schema/src/tables/index.ts';

export async function recomputeChain(db: Db, o: { fromId: number; rewriteActor: string }): Promise<number> {
  const [before] = await db.select({ hash: events.hash }).from(events).where(lt(events.id, o.fromId)).orderBy(desc(events.id)).limit(1);
  let prev = before?.hash ?? GENESIS_HASH;
  const rows = await db.select().from(events).where(gte(events.id, o.fromId)).orderBy(asc(events.id));
  const rewritten: { id: number; actor: string; prev_hash: string; hash: string }[] = [];
  for (const [n, row] of rows.entries()) {
    const actor = n === 0 ? o.rewriteActor : row.actor;
    const hash = eventHash(prev, { ...row, actor });
    rewritten.push({ id: row.id, actor, prev_hash: prev, hash });
    prev = hash;
  }
  // One statement (a row-by-row UPDATE probes every daily partition for each id).
  for (let i = 0; i < rewritten.length; i += 5000) {
    await db.execute(sql`update events e set actor = r.actor, prev_hash = r.prev_hash, hash = r.hash
      from jsonb_to_recordset(${JSON.stringify(rewritten.slice(i, i + 5000))}::jsonb) as r(id bigint, actor text, prev_hash text, hash text) where e.id = r.id`);
  }
  return rewritten.length;
}
