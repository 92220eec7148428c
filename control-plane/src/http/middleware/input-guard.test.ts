import { describe, expect, it } from 'vitest';
import { firstProblem } from './input-guard.ts';

describe('firstProblem', () => {
  it('passes clean JSON of any shape', () => {
    expect(firstProblem({ a: [1, 'x', { b: null, c: [true, 'y'] }], d: {} }, ['body'])).toBeUndefined();
    expect(firstProblem('plain', [])).toBeUndefined();
    expect(firstProblem([], [])).toBeUndefined();
  });

  it('names the path of a string Postgres cannot store, after clean siblings', () => {
    const v = { a: [{ ok: 'x' }, { ok: 'y', bad: 'nul\u0000here' }], z: 'after' };
    expect(firstProblem(v, ['body'])).toEqual({ path: ['body', 'a', 1, 'bad'], message: expect.stringMatching(/NUL|surrogate/) });
  });

  it('names a key with a lone surrogate and a key named __proto__ as parsed from JSON', () => {
    expect(firstProblem({ ok: 1, ['k\ud800']: 1 }, [])?.path).toEqual(['k\ud800']);
    const proto = JSON.parse('{"a":{"b":1,"__proto__":{"admin":true}}}') as unknown;
    expect(firstProblem(proto, ['body'])).toEqual({ path: ['body', 'a', '__proto__'], message: 'a key named "__proto__" is reserved' });
  });

  it('does not change the caller\'s path', () => {
    const path = ['body'];
    firstProblem({ a: { b: 'x\u0000' } }, path);
    firstProblem({ a: 'fine' }, path);
    expect(path).toEqual(['body']);
  });
});
