import { describe, expect, it } from 'vitest';
import type { Db } from '../db.ts';
import { AppError } from '../errors.ts';
import { withTransaction, type ServiceContext } from './context.ts';

/** A Db whose transaction runs `fn` and then never settles: a driver that lost its connection. */
const stuckDb = { transaction: (fn: (tx: unknown) => Promise<unknown>) => { void fn({}); return new Promise(() => {}); } } as unknown as Db;
const okDb = { transaction: (fn: (tx: unknown) => Promise<unknown>) => fn({}) } as unknown as Db;
const ctx = (db: Db): ServiceContext => ({ db, actor: { type: 'system', name: 'test' } });

describe('withTransaction', () => {
  it('passes through what the transaction returns', async () => {
    await expect(withTransaction(ctx(okDb), async () => 7, 50)).resolves.toBe(7);
  });

  it('a transaction that never settles gives UNAVAILABLE (retry after 5 s) at the deadline, not a wait forever', async () => {
    const t0 = Date.now();
    const err = await withTransaction(ctx(stuckDb), async () => 7, 100).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('UNAVAILABLE');
    expect((err as AppError).details).toEqual({ retryAfterSeconds: 5 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(90);
  });
});
