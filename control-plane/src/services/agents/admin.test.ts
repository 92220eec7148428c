import { describe, expect, it } from 'vitest';
import { ClusterSpec } from '../../../../schema/src/spec/cluster.ts';
import { resolveDirectorConfig } from '../../../../schema/src/spec/resolve.ts';
import { applyOverlay } from './admin.ts';

const instance = (vrid: number, vip: string) => ({
  interface: 'eth0', virtualRouterId: vrid, virtualIpAddresses: [vip],
  directors: { lb1: { priority: 150 }, lb2: { priority: 100 } },
});
const spec = ClusterSpec.parse({
  version: 1,
  directors: { lb1: {}, lb2: {} },
  vrrpInstances: { VI_IN: instance(51, '192.0.2.100/24'), VI_OUT: instance(52, '198.51.100.100/24'), VI_LONE: instance(53, '203.0.113.100/24') },
  syncGroups: { G: { group: ['VI_IN', 'VI_OUT'] } },
});
const lb2 = resolveDirectorConfig(spec, 'lb2');
const priorities = (c: typeof lb2) => Object.fromEntries(Object.entries(c.instances).map(([n, i]) => [n, i.priority]));

describe('applyOverlay (move-master, maintenance)', () => {
  it('moving one member of a sync group moves the whole group, and nothing else', () => {
    expect(priorities(applyOverlay(lb2, { maintenance: false, preferred: ['VI_IN'], version: 1 }))).toEqual({ VI_IN: 254, VI_OUT: 254, VI_LONE: 100 });
  });
  it('an instance outside any group moves alone', () => {
    expect(priorities(applyOverlay(lb2, { maintenance: false, preferred: ['VI_LONE'], version: 1 }))).toEqual({ VI_IN: 100, VI_OUT: 100, VI_LONE: 254 });
  });
  it('no preference leaves the config as it is; maintenance runs no instance', () => {
    expect(applyOverlay(lb2, { maintenance: false, preferred: [], version: 0 })).toBe(lb2);
    const m = applyOverlay(lb2, { maintenance: true, preferred: ['VI_IN'], version: 1 });
    expect(m.instances).toEqual({});
    expect(m.syncGroups).toEqual({});
  });
});
