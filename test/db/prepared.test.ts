/**
 * executePrepared (db.ts): the hot constant statements of the group commit run as prepared
 * statements (one round trip once described) and answer exactly what `db.execute` does.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executePrepared, rowsOf, type Db } from '../../control-plane/src/db.ts';
import { withTransaction } from '../../control-plane/src/services/context.ts';
import { drivers, freshDb } from '../support/db.ts';

describe.each(drivers)('executePrepared on %s', (driver) => {
  let h: Awaited<ReturnType<typeof freshDb>>;
  beforeAll(async () => { h = await freshDb(driver); });
  afterAll(async () => h?.close());

  const query = (n: number) => sql`select x, ${`label-${n}`}::text as label from generate_series(1, ${n}) as x order by x`;

  it('answers what db.execute answers, parameters included', async () => {
    for (const n of [1, 3, 7]) {
      const plain = rowsOf<{ x: number; label: string }>(await h.db.execute(query(n)));
      const prepared = rowsOf<{ x: number; label: string }>(await executePrepared(h.db, query(n)));
      expect(prepared.map((r) => ({ ...r }))).toEqual(plain.map((r) => ({ ...r })));
      expect(prepared).toHaveLength(n);
    }
  });

  it('runs inside a transaction, on its connection, and rolls back with it', async () => {
    await h.db.execute(sql`create table if not exists prepared_probe (v integer)`);
    await expect(withTransaction({ db: h.db, actor: { type: 'system', name: 'test' } }, async (tx) => {
      await executePrepared(tx.db, sql`insert into prepared_probe (v) values (${41})`);
      throw new Error('roll back');
    })).rejects.toThrow('roll back');
    expect(rowsOf(await h.db.execute(sql`select * from prepared_probe`))).toHaveLength(0);
  });
});

describe('executePrepared on postgres', () => {
  let h: Awaited<ReturnType<typeof freshDb>>;
  beforeAll(async () => { h = await freshDb('postgres'); });
  afterAll(async () => h?.close());

  it('is prepared on the connection (described once, then Bind/Execute only)', async () => {
    await withTransaction({ db: h.db, actor: { type: 'system', name: 'test' } }, async (tx) => {
      const db = tx.db as Db;
      const text = sql`select ${'probe'}::text as p, 1 as prepared_probe_marker`;
      await executePrepared(db, text);
      await executePrepared(db, text);
      const mine = rowsOf<{ n: number }>(await db.execute(sql`select count(*)::int as n from pg_prepared_statements where statement like '%prepared_probe_marker%'`));
      expect(mine[0]!.n).toBe(1);
      // db.execute itself prepares nothing (drizzle's unnamed statements).
      await db.execute(sql`select ${'probe'}::text as p, 2 as unprepared_probe_marker`);
      const plain = rowsOf<{ n: number }>(await db.execute(sql`select count(*)::int as n from pg_prepared_statements where statement like '%unprepared_probe_marker%' and statement not like '%pg_prepared_statements%'`));
      expect(plain[0]!.n).toBe(0);
    });
  });
});
