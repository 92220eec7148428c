/**
 * The audit log's daily partitions and retention (migration 0003, services/events/partitions.ts
 * and retention.ts), on both drivers: whole days go, oldest first, only behind a signed
 * checkpoint; the full verification resumes from the last pruned row and still catches a
 * retained row changed or a forged retention record.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditSigner } from '../../control-plane/src/audit/signer.ts';
import type { DbHandle } from '../../control-plane/src/db.ts';
import type { ServiceContext } from '../../control-plane/src/services/context.ts';
import { appendEvents } from '../../control-plane/src/services/events/append.ts';
import { createCheckpoint } from '../../control-plane/src/services/events/checkpoint.ts';
import { dayOf, listPartitions, partitionName, PARTITIONS_AHEAD, ensureAhead } from '../../control-plane/src/services/events/partitions.ts';
import { pruneEvents } from '../../control-plane/src/services/events/retention.ts';
import { FullVerifyLimit, verifyEvents } from '../../control-plane/src/services/events/verify.ts';
import { listEvents } from '../../control-plane/src/services/events/list.ts';
import { drivers, freshDb } from '../support/db.ts';

const DAY = 86_400_000;

describe.each(drivers)('audit log partitions and retention on %s', (driver) => {
  let h: DbHandle;
  let ctx: ServiceContext;
  let admin: ServiceContext;
  let keyDir: string;
  let signer: AuditSigner;
  const now = Date.now();
  const at = (daysAgo: number) => () => new Date(now - daysAgo * DAY);
  const full = () => verifyEvents(admin, signer, { full: new FullVerifyLimit(0) });
  beforeAll(async () => {
    h = await freshDb(driver);
    ctx = { db: h.db, actor: { type: 'system', name: 'test' } };
    admin = { db: h.db, actor: { type: 'token', tokenId: '00000000-0000-0000-0000-000000000000', name: 'admin', role: 'admin', siteId: null, expiresAt: null } } as ServiceContext;
    keyDir = mkdtempSync(join(tmpdir(), 'vigil-retention-'));
    signer = AuditSigner.load({ keyFile: join(keyDir, 'audit-signing-key.pem') });
  });
  afterAll(async () => {
    await h?.close();
    rmSync(keyDir, { recursive: true, force: true });
  });

  it('has a partition per day from today on, and creates one on demand for a day that has none', async () => {
    await ensureAhead(h.db, now);
    const days = (await listPartitions(h.db)).map((p) => p.day);
    for (let d = 0; d <= PARTITIONS_AHEAD; d++) expect(days).toContain(dayOf(now) + d);
    expect(days).not.toContain(dayOf(now - 45 * DAY));
    // A clock 45 days behind (or an event replayed into an old day): the append creates it.
    await appendEvents(ctx, [{ kind: 'old.a', details: { n: 1 } }, { kind: 'old.a', details: { n: 2 } }], at(45));
    await appendEvents(ctx, [{ kind: 'old.b', details: { n: 3 } }], at(40));
    const after = (await listPartitions(h.db)).map((p) => p.name);
    expect(after).toContain(partitionName(dayOf(now - 45 * DAY)));
    expect(after).toContain(partitionName(dayOf(now - 40 * DAY)));
    expect((await full()).ok).toBe(true);
  });

  it('keeps a day past retention until a signed checkpoint follows it', async () => {
    const r = await pruneEvents(ctx, { retentionDays: 30, now, requireCheckpoint: true });
    expect(r.pruned).toEqual([]);
    expect(r.kept?.partition).toBe(partitionName(dayOf(now - 45 * DAY)));
    expect(r.kept?.reason).toMatch(/no signed checkpoint after/);
  });

  it('drops whole days past retention, oldest first, records them, and the chain still verifies', async () => {
    await appendEvents(ctx, [{ kind: 'recent', details: { n: 4 } }], at(2));
    expect((await createCheckpoint(ctx, signer)).created).toBeDefined();
    await appendEvents(ctx, [{ kind: 'today', details: { n: 5 } }]);
    // A replica's timer skips while another's checkpoint is recent; asked outright, it signs.
    expect(await createCheckpoint(ctx, signer, { minAgeMs: 60_000 })).toEqual({ skipped: true });
    const before = (await listEvents(ctx, { order: 'asc', limit: 100 })).items;
    const r = await pruneEvents(ctx, { retentionDays: 30, now, requireCheckpoint: true });
    expect(r.pruned.map((p) => p.partition)).toEqual([partitionName(dayOf(now - 45 * DAY)), partitionName(dayOf(now - 40 * DAY))]);
    expect(r.pruned.map((p) => p.rows)).toEqual([2, 1]);
    const names = (await listPartitions(h.db)).map((p) => p.name);
    expect(names).not.toContain(partitionName(dayOf(now - 45 * DAY)));
    const kept = (await listEvents(ctx, { order: 'asc', limit: 100 })).items;
    expect(kept.map((e) => e.kind)).toEqual([...before.slice(3).map((e) => e.kind), 'audit.pruned']);
    expect(kept.at(-1)!.details).toMatchObject({ retentionDays: 30, rows: 3, throughEventId: before[2]!.id });
    const v = await full();
    expect(v).toMatchObject({ ok: true, mode: 'full', checked: kept.length });
    expect((await verifyEvents(ctx, signer)).ok).toBe(true);
  });

  it('a retained row changed behind the triggers\' back fails the full verification', async () => {
    const first = (await listEvents(ctx, { order: 'asc', limit: 1 })).items[0]!;
    const part = partitionName(dayOf(first.receivedAt));
    await h.db.execute(sql.raw(`alter table ${part} disable trigger user`));
    await h.db.execute(sql`update events set details = '{"n":"forged"}'::jsonb where id = ${first.id}`);
    await h.db.execute(sql.raw(`alter table ${part} enable trigger user`));
    const v = await full();
    expect(v.ok).toBe(false);
    expect(v.brokenAt).toEqual({ id: first.id, reason: 'hash_mismatch' });
    // Put it back for the next case.
    await h.db.execute(sql.raw(`alter table ${part} disable trigger user`));
    await h.db.execute(sql`update events set details = ${JSON.stringify(first.details)}::jsonb where id = ${first.id}`);
    await h.db.execute(sql.raw(`alter table ${part} enable trigger user`));
    expect((await full()).ok).toBe(true);
  });

  it('a forged retention record (rows dropped and passed off as retention) fails the full verification', async () => {
    // An attacker drops the recent day too and records it as pruned with a made-up hash.
    const first = (await listEvents(ctx, { order: 'asc', limit: 1 })).items[0]!;
    await h.db.execute(sql`insert into audit_retention (partition, range_from, range_to, rows, last_event_id, last_hash, retention_days) values ('events_forged', now(), now(), 1, ${first.id}, ${'f'.repeat(64)}, 30)`);
    const v = await full();
    expect(v.ok).toBe(false);
    expect(v.brokenAt?.reason).toBe('prev_hash_mismatch');
  });

  it('the retention records are append-only', async () => {
    for (const stmt of [sql`update audit_retention set rows = 0`, sql`delete from audit_retention`, sql`truncate audit_retention`]) {
      const err = await h.db.execute(stmt).then(() => null, (e: Error & { cause?: Error }) => e);
      expect(err?.cause?.message ?? err?.message).toMatch(/table audit_retention is append-only/);
    }
  });

  it('refuses a retention that is not a whole number of days', async () => {
    await expect(pruneEvents(ctx, { retentionDays: 0, requireCheckpoint: true })).rejects.toThrow(/positive integer/);
    await expect(pruneEvents(ctx, { retentionDays: 1.5, requireCheckpoint: true })).rejects.toThrow(/positive integer/);
  });
});
