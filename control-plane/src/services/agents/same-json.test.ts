import { describe, expect, it } from 'vitest';
import { ClusterSpec } from '../../../../schema/src/spec/cluster.ts';
import { resolveDirectorConfig } from '../../../../schema/src/spec/resolve.ts';
import { sameJson } from './same-json.ts';

describe('sameJson (equal as JSON, without printing)', () => {
  it('agrees with comparing JSON.stringify for values printed with the same key order', () => {
    const values: unknown[] = [
      null, true, false, 0, 1, -1, 1.5, '', 'a', 'b', [], [1], [1, 2], [2, 1], [null], [undefined], {}, { a: 1 }, { a: 2 }, { b: 1 },
      { a: 1, b: undefined }, { a: undefined }, { a: [1, { c: 'x' }] }, { a: [1, { c: 'y' }] }, { a: { b: { c: null } } }, { a: { b: {} } }, [[[]]], [[]],
      { '0': 1 }, ['1'], [1], { length: 0 },
    ];
    for (const x of values) {
      for (const y of values) expect(sameJson(x, y), `${JSON.stringify(x)} vs ${JSON.stringify(y)}`).toBe(JSON.stringify(x) === JSON.stringify(y));
    }
  });

  it('reads undefined properties as absent and ignores key order', () => {
    expect(sameJson({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(sameJson({ a: 1 }, { a: 1, b: undefined })).toBe(true);
    expect(sameJson({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(true);
    expect(sameJson({ a: 1, b: 2 }, { b: 2, a: 1, c: 0 })).toBe(false);
    expect(sameJson({ a: 1, c: 0 }, { a: 1, b: 0 })).toBe(false);
  });

  it('tells two renderings of one instance apart exactly where their configs differ', () => {
    const spec = (notify?: string) => ClusterSpec.parse({
      version: 1,
      directors: { lb1: {}, lb2: {} },
      vrrpInstances: {
        VI_1: {
          interface: 'eth0', virtualRouterId: 51, virtualIpAddresses: ['192.0.2.100/24', '2001:db8::1/64'],
          ...(notify ? { notify: { master: notify } } : {}), directors: { lb1: { priority: 150 }, lb2: { priority: 100 } },
        },
      },
    });
    const a = resolveDirectorConfig(spec(), 'lb1').instances.VI_1;
    const same = resolveDirectorConfig(spec(), 'lb1').instances.VI_1;
    expect(a).not.toBe(same);
    expect(sameJson(a, same)).toBe(true);
    expect(sameJson(a, resolveDirectorConfig(spec('/bin/hook'), 'lb1').instances.VI_1)).toBe(false);
    expect(sameJson(a, resolveDirectorConfig(spec(), 'lb2').instances.VI_1)).toBe(false); // another priority
  });
});
