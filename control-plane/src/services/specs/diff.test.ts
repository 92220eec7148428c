import { describe, expect, it } from 'vitest';
import { diffJson } from './diff.ts';

describe('diffJson', () => {
  it('reports nothing for equal documents', () => {
    expect(diffJson({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toEqual([]);
  });
  it('reports adds, removes and changes with paths', () => {
    const d = diffJson(
      { instances: { VI_1: { priority: 100, vips: ['10.0.0.1'] } }, old: true },
      { instances: { VI_1: { priority: 150, vips: ['10.0.0.1', '10.0.0.2'] } }, added: 1 },
    );
    expect(d).toEqual([
      { op: 'add', path: ['added'], to: 1 },
      { op: 'change', path: ['instances', 'VI_1', 'priority'], from: 100, to: 150 },
      { op: 'add', path: ['instances', 'VI_1', 'vips', 1], to: '10.0.0.2' },
      { op: 'remove', path: ['old'], from: true },
    ]);
  });
  it('treats a type change as a change of the whole value', () => {
    expect(diffJson({ a: [1] }, { a: { 0: 1 } })).toEqual([{ op: 'change', path: ['a'], from: [1], to: { 0: 1 } }]);
  });
  it('a key named like an object member is an add, not a change', () => {
    expect(diffJson({ a: {} }, { a: { constructor: 1, toString: 2 } })).toEqual([
      { op: 'add', path: ['a', 'constructor'], to: 1 },
      { op: 'add', path: ['a', 'toString'], to: 2 },
    ]);
    expect(diffJson({ a: { constructor: 1 } }, { a: {} })).toEqual([{ op: 'remove', path: ['a', 'constructor'], from: 1 }]);
  });
});
