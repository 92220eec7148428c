import { describe, expect, it } from 'vitest';
import { TokenCache, type CachedToken } from './token-cache.ts';

const row = (id: string, expiresAt: Date | null = null): CachedToken => ({ id, expiresAt, lastUsedAt: null });

describe('TokenCache', () => {
  it('keeps a row for less than its maximum age, then reads again', () => {
    const c = new TokenCache(1000);
    c.set('h1', row('t1'), 10_000);
    expect(c.get('h1', 10_000)?.id).toBe('t1');
    expect(c.get('h1', 10_999)?.id).toBe('t1');
    expect(c.get('h1', 11_000)).toBeUndefined();
    expect(c.size).toBe(0); // an aged entry is dropped when found
  });

  it('a re-read starts its age again', () => {
    const c = new TokenCache(1000);
    c.set('h1', row('t1'), 0);
    c.set('h1', row('t1'), 900);
    expect(c.get('h1', 1_800)?.id).toBe('t1');
    expect(c.get('h1', 1_900)).toBeUndefined();
  });

  it('forgets a revoked token under every hash it was cached by, and only it', () => {
    const c = new TokenCache(1000);
    c.set('h1', row('t1'), 0);
    c.set('h2', row('t2'), 0);
    c.forget('t1');
    expect(c.get('h1', 1)).toBeUndefined();
    expect(c.get('h2', 1)?.id).toBe('t2');
  });

  it('does not keep a row read before a forget: the read may predate the revoke', () => {
    const c = new TokenCache(1000);
    const before = c.readEpoch;
    c.forget('t1'); // the revoke committed while the read was in flight
    c.set('h1', row('t1'), 0, before);
    expect(c.get('h1', 1)).toBeUndefined();
    const after = c.readEpoch;
    c.set('h1', row('t1'), 0, after);
    expect(c.get('h1', 1)?.id).toBe('t1');
    const beforeClear = c.readEpoch;
    c.clear();
    c.set('h2', row('t2'), 0, beforeClear);
    expect(c.size).toBe(0);
  });

  it('takes the credentials NOTIFY payload: token subjects forget, director subjects are not its business', () => {
    const c = new TokenCache(1000);
    c.set('h1', row('t1'), 0);
    c.changed('director:t1');
    expect(c.get('h1', 1)?.id).toBe('t1');
    c.changed('token:t1');
    expect(c.get('h1', 1)).toBeUndefined();
    c.set('h2', row('t2'), 0);
    c.changed('token:');
    c.changed('garbage');
    expect(c.get('h2', 1)?.id).toBe('t2');
    c.clear();
    expect(c.size).toBe(0);
  });

  it('is bounded: past its size the oldest entry goes first', () => {
    const c = new TokenCache(1000, 3);
    for (const k of [1, 2, 3]) c.set(`h${k}`, row(`t${k}`), k);
    c.set('h1', row('t1'), 4); // read again: now the newest
    c.set('h4', row('t4'), 5);
    expect(c.size).toBe(3);
    expect(c.get('h2', 6)).toBeUndefined();
    expect(['h1', 'h3', 'h4'].map((h) => c.get(h, 6)?.id)).toEqual(['t1', 't3', 't4']);
    for (let k = 0; k < 10_000; k++) c.set(`x${k}`, row(`x${k}`), 7);
    expect(c.size).toBe(3);
  });
});
