import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailable } from './db-errors.ts';

const wrapped = (cause: unknown) => Object.assign(new Error('Failed query: select 1'), { cause });

describe('isDatabaseUnavailable', () => {
  it('a lost connection, in the driver or wrapped by drizzle, is the database being away', () => {
    expect(isDatabaseUnavailable(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isDatabaseUnavailable(wrapped(Object.assign(new Error('write CONNECTION_CLOSED 127.0.0.1:6432'), { code: 'CONNECTION_CLOSED' })))).toBe(true);
    expect(isDatabaseUnavailable(wrapped(Object.assign(new Error('connect'), { code: 'CONNECT_TIMEOUT' })))).toBe(true);
  });

  it('Postgres shutting down, crashed, starting, unreachable, or a standby refusing a write', () => {
    for (const code of ['57P01', '57P02', '57P03', '08006', '08001', '25006']) expect(isDatabaseUnavailable(wrapped({ code }))).toBe(true);
  });

  it('a wrong statement is not', () => {
    for (const code of ['23505', '42P01', '22P02', '40001', undefined]) expect(isDatabaseUnavailable(wrapped({ code }))).toBe(false);
    expect(isDatabaseUnavailable(new Error('boom'))).toBe(false);
    expect(isDatabaseUnavailable(undefined)).toBe(false);
  });
});
