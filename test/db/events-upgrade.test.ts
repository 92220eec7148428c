/**
 * Upgrading a control plane whose audit log predates partitioning (migration 0003): every row
 * keeps its id, fields and hash, lands in its day's partition, the chain still verifies, and
 * the next append continues it with the next id.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { afterAll, describe, expect, it } from 'vitest';
import * as tables from '../../schema/src/tables/index.ts';
import { migrationsFolder, type Db } from '../../control-plane/src/db.ts';
import type { ServiceContext } from '../../control-plane/src/services/context.ts';
import { appendEvents } from '../../control-plane/src/services/events/append.ts';
import { eventHash, GENESIS_HASH, type ChainedFields } from '../../control-plane/src/services/events/chain.ts';
import { dayOf, listPartitions, partitionName } from '../../control-plane/src/services/events/partitions.ts';
import { FullVerifyLimit, verifyEvents } from '../../control-plane/src/services/events/verify.ts';

const DAY = 86_400_000;

describe('audit log upgrade to daily partitions', () => {
  const dirs: string[] = [];
  afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

  it('carries every row over unchanged and the chain goes on', async () => {
    // The migrations up to 0002 only: the log as the previous version stored it.
    const old = mkdtempSync(join(tmpdir(), 'vigil-migrations-'));
    dirs.push(old);
    cpSync(migrationsFolder, old, { recursive: true });
    const journal = JSON.parse(readFileSync(join(old, 'meta/_journal.json'), 'utf8')) as { entries: { tag: string }[] };
    journal.entries = journal.entries.filter((e) => e.tag < '0003');
    writeFileSync(join(old, 'meta/_journal.json'), JSON.stringify(journal));
    const pg = new PGlite();
    const db = drizzle(pg, { schema: tables }) as unknown as Db;
    await migrate(drizzle(pg), { migrationsFolder: old });

    const now = Date.now();
    let prev = GENESIS_HASH;
    const rows: { id: number; hash: string; receivedAt: Date }[] = [];
    for (const [i, daysAgo] of [3, 3, 2, 0].entries()) {
      const f: ChainedFields = { siteId: null, clusterId: null, directorId: null, instance: 'VI_1', kind: 'vrrp.transition', actor: 'agent:lb1', details: { i }, agentTime: null, receivedAt: new Date(now - daysAgo * DAY), source: 'agent:lb1', sourceSeq: i + 1 };
      const hash = eventHash(prev, f);
      const [r] = (await pg.query<{ id: number }>(
        'insert into events (instance, kind, actor, details, received_at, source, source_seq, prev_hash, hash) values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning id',
        [f.instance, f.kind, f.actor, JSON.stringify(f.details), f.receivedAt.toISOString(), f.source, f.sourceSeq, prev, hash],
      )).rows;
      rows.push({ id: Number(r!.id), hash, receivedAt: f.receivedAt });
      prev = hash;
    }

    await migrate(drizzle(pg), { migrationsFolder });
    const parts = (await listPartitions(db)).map((p) => p.name);
    for (const r of rows) expect(parts).toContain(partitionName(dayOf(r.receivedAt)));
    const stored = (await pg.query<{ id: number; hash: string; part: string }>('select id, hash, tableoid::regclass::text as part from events order by id')).rows;
    expect(stored.map((r) => [Number(r.id), r.hash, r.part])).toEqual(rows.map((r) => [r.id, r.hash, partitionName(dayOf(r.receivedAt))]));

    const ctx: ServiceContext = { db, actor: { type: 'system', name: 'test' } };
    const admin = { db, actor: { type: 'token', tokenId: '00000000-0000-0000-0000-000000000000', name: 'admin', role: 'admin', siteId: null, expiresAt: null } } as ServiceContext;
    const next = await appendEvents(ctx, [{ kind: 'after.upgrade', details: {} }]);
    expect(next.stored[0]!.id).toBe(rows.at(-1)!.id + 1);
    expect(next.stored[0]!.prevHash).toBe(rows.at(-1)!.hash);
    expect(await verifyEvents(admin, undefined, { full: new FullVerifyLimit(0) })).toMatchObject({ ok: true, checked: 5 });
    // Still append-only, through the partitions too.
    const err = await db.execute(sql`delete from events`).then(() => null, (e: Error & { cause?: Error }) => e);
    expect(err?.cause?.message ?? err?.message).toMatch(/table events is append-only/);
    await pg.close();
  });
});
