import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical.ts';

/** The chain's original definition: JSON.stringify of a copy with keys sorted at every level. */
function original(value: unknown): string {
  const sortKeys = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sortKeys);
    if (v && typeof v === 'object' && !(v instanceof Date)) {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v as Record<string, unknown>).sort()) {
        const x = (v as Record<string, unknown>)[k];
        if (x !== undefined) out[k] = sortKeys(x);
      }
      return out;
    }
    return v;
  };
  return JSON.stringify(sortKeys(value));
}

describe('canonicalJson', () => {
  it('is exactly the original definition on generated JSON values (old chains still verify)', () => {
    const key = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('0', '1', '10', '2', '01', '-1', '4294967294', '4294967295', 'a', 'B'));
    const json = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: 'small', maxDepth: 5 }, fc.constant(null), fc.boolean(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string({ maxLength: 8 }), fc.array(tie('v'), { maxLength: 4 }), fc.dictionary(key, tie('v'), { maxKeys: 5 })),
    })).v;
    fc.assert(fc.property(json, (v) => canonicalJson(v) === original(v)), { seed: 42, numRuns: 3000 });
  });

  it('keeps a "__proto__" key (the original dropped its content)', () => {
    const v = JSON.parse('{"b":1,"__proto__":{"x":1},"a":[1,{"__proto__":2}]}');
    expect(canonicalJson(v)).toBe('{"__proto__":{"x":1},"a":[1,{"__proto__":2}],"b":1}');
  });

  it('serializes dates and skips undefined like JSON.stringify', () => {
    expect(canonicalJson({ t: new Date(0), u: undefined, l: [undefined] })).toBe('{"l":[null],"t":"1970-01-01T00:00:00.000Z"}');
  });
});
