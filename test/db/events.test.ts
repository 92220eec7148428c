import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DbHandle } from '../../control-plane/src/db.ts';
import { appendEvent, listEvents, verifyEvents } from '../../control-plane/src/services/events/index.ts';
import type { ServiceContext } from '../../control-plane/src/services/context.ts';
import { drivers, freshDb } from '../support/db.ts';

describe.each(drivers)('audit log on %s', (driver) => {
  let h: DbHandle;
  let ctx: ServiceContext;
  beforeAll(async () => {
    h = await freshDb(driver);
    ctx = { db: h.db, actor: { type: 'system', name: 'test' } };
  });
  afterAll(async () => h?.close());

  it('chains every event to the previous one and verifies', async () => {
    const a = await appendEvent(ctx, { kind: 'vrrp.transition', instance: 'VI_1', details: { from: 'backup', to: 'master', reason: 'master_down_timer' } });
    const b = await appendEvent(ctx, { kind: 'vrrp.transition', instance: 'VI_1', details: { from: 'master', to: 'backup', reason: 'higher_priority_advert' } });
    expect(a.prevHash).toBe('0'.repeat(64));
    expect(b.prevHash).toBe(a.hash);
    expect(b.hash).not.toBe(a.hash);
    const v = await verifyEvents(ctx);
    expect(v).toMatchObject({ ok: true, checked: 2, lastHash: b.hash });
  });

  it('stores a (source, sequence) pair once: at-least-once delivery is de-duplicated', async () => {
    const first = await appendEvent(ctx, { kind: 'vrrp.transition', source: 'agent:lb1', sourceSeq: 7, details: { n: 1 } });
    const again = await appendEvent(ctx, { kind: 'vrrp.transition', source: 'agent:lb1', sourceSeq: 7, details: { n: 1 } });
    expect(first.duplicate).toBe(false);
    expect(again.duplicate).toBe(true);
    expect(again.id).toBe(first.id);
    const page = await listEvents(ctx, { kind: 'vrrp.transition' });
    expect(page.items.filter((e) => e.source === 'agent:lb1')).toHaveLength(1);
  });

  it('the database itself rejects UPDATE, DELETE and TRUNCATE', async () => {
    for (const stmt of [sql`update events set kind = 'x'`, sql`delete from events`, sql`truncate events`]) {
      const err = await h.db.execute(stmt).then(() => null, (e: Error & { cause?: Error }) => e);
      expect(err?.cause?.message ?? err?.message).toMatch(/table events is append-only/);
    }
    expect((await verifyEvents(ctx)).ok).toBe(true);
  });

  it('serialises concurrent appends into one unbroken chain', async () => {
    // Separate connections on Postgres: the advisory lock must order them.
    await Promise.all(Array.from({ length: 20 }, (_, i) => appendEvent(ctx, { kind: 'concurrent', details: { i } })));
    const v = await verifyEvents(ctx);
    expect(v.ok).toBe(true);
    expect(v.checked).toBeGreaterThanOrEqual(23);
  });

  it('verification finds a row changed behind the triggers\' back', async () => {
    const before = await listEvents(ctx, { order: 'asc', limit: 1000 });
    const victim = before.items[1]!;
    // Simulate an attacker with table-owner rights: disable the guard, edit, re-enable.
    await h.db.execute(sql`alter table events disable trigger events_append_only`);
    await h.db.execute(sql`update events set details = '{"from":"backup","to":"master","reason":"forged"}'::jsonb where id = ${victim.id}`);
    await h.db.execute(sql`alter table events enable trigger events_append_only`);
    const v = await verifyEvents(ctx);
    expect(v.ok).toBe(false);
    expect(v.brokenAt).toEqual({ id: victim.id, reason: 'hash_mismatch' });
  });

  it('paginates with an opaque cursor and filters', async () => {
    for (let i = 0; i < 5; i++) await appendEvent(ctx, { kind: 'page.test', instance: `I${i % 2}`, details: { i } });
    const p1 = await listEvents(ctx, { kind: 'page.test', limit: 2 });
    expect(p1.items.map((e) => e.details.i)).toEqual([0, 1]);
    const p2 = await listEvents(ctx, { kind: 'page.test', limit: 2, cursor: p1.nextCursor! });
    expect(p2.items.map((e) => e.details.i)).toEqual([2, 3]);
    const p3 = await listEvents(ctx, { kind: 'page.test', limit: 2, cursor: p2.nextCursor! });
    expect(p3.items.map((e) => e.details.i)).toEqual([4]);
    expect(p3.nextCursor).toBeNull();
    const odd = await listEvents(ctx, { kind: 'page.test', instance: 'I1' });
    expect(odd.items.map((e) => e.details.i)).toEqual([1, 3]);
    const desc = await listEvents(ctx, { kind: 'page.test', order: 'desc', limit: 1 });
    expect(desc.items[0]!.details.i).toBe(4);
  });

});
