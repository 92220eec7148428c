import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventHash, eventHashGeneric, type ChainedFields } from './chain.ts';

describe('eventHash', () => {
  it('is the generic form (canonicalJson of the whole field object) on generated fields: old chains still verify', () => {
    const text = fc.option(fc.string({ maxLength: 12 }), { nil: null });
    const json = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: 'small', maxDepth: 4 }, fc.constant(null), fc.boolean(), fc.integer(), fc.string({ maxLength: 8 }), fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(fc.oneof(fc.string({ maxLength: 5 }), fc.constantFrom('0', '10', 'up', '__proto__')), tie('v'), { maxKeys: 4 })),
    })).v;
    const date = fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true });
    const fields: fc.Arbitrary<ChainedFields> = fc.record({
      siteId: text, clusterId: text, directorId: text, instance: text,
      kind: fc.string({ maxLength: 20 }), actor: fc.string({ maxLength: 20 }),
      details: fc.dictionary(fc.string({ maxLength: 6 }), json, { maxKeys: 5 }),
      agentTime: fc.option(date, { nil: null }), receivedAt: date,
      source: text, sourceSeq: fc.option(fc.integer({ min: 1 }), { nil: null }),
      clockSkewMs: fc.option(fc.integer(), { nil: null }),
    }, { requiredKeys: ['siteId', 'clusterId', 'directorId', 'instance', 'kind', 'actor', 'details', 'agentTime', 'receivedAt', 'source', 'sourceSeq'] });
    fc.assert(fc.property(fc.string({ minLength: 64, maxLength: 64, unit: fc.constantFrom(...'0123456789abcdef') }), fields, (prev, f) => eventHash(prev, f) === eventHashGeneric(prev, f)), { seed: 16, numRuns: 3000 });
  });

  it('is the generic form too for members of any other type (the member-by-member path: a row read with an unexpected type still hashes as stored)', () => {
    const json = fc.oneof(fc.constant(null), fc.constant(undefined), fc.boolean(), fc.integer(), fc.double(), fc.string({ maxLength: 6 }), fc.array(fc.integer(), { maxLength: 2 }), fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 3 }));
    const date = fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true });
    const fields = fc.record({
      siteId: json, clusterId: json, directorId: json, instance: json, kind: json, actor: json, details: json,
      agentTime: fc.option(date, { nil: null }), receivedAt: date, source: json, sourceSeq: json, clockSkewMs: json,
    }) as unknown as fc.Arbitrary<ChainedFields>;
    fc.assert(fc.property(fields, (f) => eventHash('0'.repeat(64), f) === eventHashGeneric('0'.repeat(64), f)), { seed: 17, numRuns: 3000 });
  });

  it('keeps each body\'s own times (the ISO forms remembered between events are per value)', () => {
    const f: ChainedFields = { siteId: 's', clusterId: 'c', directorId: 'd', instance: null, kind: 'k', actor: 'a', details: {}, agentTime: new Date(5), receivedAt: new Date(6), source: null, sourceSeq: null };
    const g: ChainedFields = { ...f, agentTime: new Date(7), receivedAt: new Date(8) };
    for (const x of [f, g, f, g]) expect(eventHash('0'.repeat(64), x)).toBe(eventHashGeneric('0'.repeat(64), x));
    expect(eventHash('0'.repeat(64), f)).not.toBe(eventHash('0'.repeat(64), g));
  });

  it('changes with any field (a different kind, a later time, another seq)', () => {
    const f: ChainedFields = { siteId: 's', clusterId: 'c', directorId: 'd', instance: null, kind: 'vrrp.transition', actor: 'agent:lb1', details: { to: 'MASTER' }, agentTime: new Date(0), receivedAt: new Date(1), source: 'director:d', sourceSeq: 1, clockSkewMs: -1 };
    const h = eventHash('0'.repeat(64), f);
    expect(eventHash('0'.repeat(64), { ...f, kind: 'vrrp.transitionX' })).not.toBe(h);
    expect(eventHash('0'.repeat(64), { ...f, sourceSeq: 2 })).not.toBe(h);
    expect(eventHash('0'.repeat(64), { ...f, details: { to: 'BACKUP' } })).not.toBe(h);
    expect(eventHash('1'.repeat(64), f)).not.toBe(h);
  });
});
