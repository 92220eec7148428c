import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Fifo } from './fifo.ts';

describe('Fifo', () => {
  it('hands entries out in the order they came, whatever the interleaving of pushes and takes (an array with shift as the model)', () => {
    // Up to 2,500 at a time: past the 1,024 entries where the consumed front is dropped.
    fc.assert(fc.property(fc.array(fc.oneof(fc.integer({ min: 0, max: 2500 }).map((n) => ({ push: n })), fc.integer({ min: 1, max: 2500 }).map((n) => ({ take: n }))), { maxLength: 10 }), (ops) => {
      const q = new Fifo<number>();
      const model: number[] = [];
      let next = 0;
      for (const op of ops) {
        if ('push' in op) for (let i = 0; i < op.push; i++) { q.push(next); model.push(next++); }
        else for (let i = 0; i < op.take; i++) if (q.shift() !== model.shift()) return false;
        if (q.size !== model.length) return false;
      }
      return true;
    }), { seed: 21, numRuns: 200 });
  });

  it('is empty again after draining, and undefined when empty', () => {
    const q = new Fifo<string>();
    expect(q.shift()).toBeUndefined();
    q.push('a');
    q.push('b');
    expect([q.shift(), q.shift(), q.shift(), q.size]).toEqual(['a', 'b', undefined, 0]);
  });
});
