import { describe, expect, it } from 'vitest';
import type { ClusterSpec } from '../spec/cluster.ts';
import { checkFleetRules, validateClusterSpec } from './check.ts';
import { buildSiteIndex, type FleetSite } from './site-rules.ts';
import { specFrom, twoDirectorInput } from './testing.ts';

type Mutate = (s: Record<string, any>) => void; // eslint-disable-line @typescript-eslint/no-explicit-any
const VI = ['vrrpInstances', 'VI_1'];

/** Another cluster's spec: directors lb3/lb4, one instance "OTHER" bent by `mutate`. */
function otherSpec(inst: Record<string, unknown>): ClusterSpec {
  return specFrom((s) => {
    s.directors = { lb3: {}, lb4: {} };
    s.vrrpInstances = { OTHER: { interface: 'eth0', virtualRouterId: 60, virtualIpAddresses: ['192.0.2.200/24'], directors: { lb3: { priority: 150 }, lb4: { priority: 100 } }, ...inst } };
    s.virtualServers = [];
  });
}

describe('VRID per segment inside one cluster', () => {
  const vi2 = (patch: Record<string, unknown>): Mutate => (s) => {
    s.vrrpInstances.VI_2 = { interface: 'eth0', virtualRouterId: 51, virtualIpAddresses: ['192.0.2.101/24'], directors: { lb1: { priority: 150 }, lb2: { priority: 100 } }, ...patch };
  };

  it.each<[string, Mutate]>([
    ['same VRID on the same interface', vi2({})],
    ['same VRID on different interfaces but the same explicit segment', (s) => {
      vi2({ interface: 'eth1', segment: 'dmz' })(s);
      s.vrrpInstances.VI_1.segment = 'dmz';
    }],
    ['same VRID where one director uses the same interface through an override', vi2({ interface: 'eth1', directors: { lb1: { priority: 150, interface: 'eth0' }, lb2: { priority: 100 } } })],
  ])('conflict: %s', (_name, mutate) => {
    expect(checkFleetRules(specFrom(mutate))).toEqual([
      expect.objectContaining({ code: 'FLEET_VRID_CONFLICT_ON_SEGMENT', path: ['vrrpInstances', 'VI_2', 'virtualRouterId'], severity: 'error' }),
    ]);
  });

  it.each<[string, Mutate]>([
    ['same VRID on another interface', vi2({ interface: 'eth1' })],
    ['same VRID in the other address family', vi2({ virtualIpAddresses: ['2001:db8::101/64'] })],
    ['same VRID with another multicast group', vi2({ mcastDstIp: '224.0.0.19' })],
    ['same VRID on unicast', (s) => {
      vi2({ unicastPeers: [{ address: '192.0.2.11' }, { address: '192.0.2.12' }] })(s);
    }],
    ['another VRID on the same interface', vi2({ virtualRouterId: 52 })],
  ])('no conflict: %s', (_name, mutate) => {
    expect(checkFleetRules(specFrom(mutate))).toEqual([]);
  });
});

describe('VRID per segment across the site', () => {
  const spec = specFrom();
  it.each<[string, FleetSite]>([
    ['sibling on the same named segment', { segment: 'seg-a', clusters: [{ name: 'c2', segment: 'seg-a', spec: otherSpec({ virtualRouterId: 51 }) }] }],
    ['segment defaults to the cluster name', { cluster: 'web', clusters: [{ name: 'c2', segment: 'web', spec: otherSpec({ virtualRouterId: 51 }) }] }],
    ['sibling segment defaults to its name', { segment: 'c2', clusters: [{ name: 'c2', spec: otherSpec({ virtualRouterId: 51 }) }] }],
    ['instance-level segment on both sides', { segment: 'x', clusters: [{ name: 'c2', segment: 'y', spec: otherSpec({ virtualRouterId: 51, segment: 'shared' }) }] }],
  ])('conflict: %s', (name, site) => {
    const s = name.startsWith('instance-level') ? specFrom((x) => { x.vrrpInstances.VI_1.segment = 'shared'; }) : spec;
    const issues = checkFleetRules(s, site);
    expect(issues).toEqual([expect.objectContaining({ code: 'FLEET_VRID_CONFLICT_ON_SEGMENT', path: [...VI, 'virtualRouterId'], severity: 'error' })]);
    expect(issues[0]!.message).toContain('c2/OTHER');
  });

  it.each<[string, FleetSite]>([
    ['sibling on another segment', { segment: 'seg-a', clusters: [{ name: 'c2', segment: 'seg-b', spec: otherSpec({ virtualRouterId: 51 }) }] }],
    ['unnamed cluster and sibling without segment', { clusters: [{ name: 'c2', spec: otherSpec({ virtualRouterId: 51 }) }] }],
    ['sibling uses unicast', { segment: 'seg-a', clusters: [{ name: 'c2', segment: 'seg-a', spec: otherSpec({ virtualRouterId: 51, unicastPeers: [{ address: '192.0.2.31' }] }) }] }],
    ['sibling uses another VRID', { segment: 'seg-a', clusters: [{ name: 'c2', segment: 'seg-a', spec: otherSpec({}) }] }],
  ])('no conflict: %s', (_name, site) => {
    expect(checkFleetRules(spec, site)).toEqual([]);
  });
});

describe('VIP uniqueness', () => {
  it.each<[string, Record<string, unknown>]>([
    ['same VIP with another prefix length', { virtualIpAddresses: ['192.0.2.100/32'] }],
    ['same VIP in the sibling\'s excluded list', { virtualIpAddressesExcluded: ['192.0.2.100'] }],
    ['same VIP in a sibling director override', { directors: { lb3: { priority: 150, virtualIpAddresses: ['192.0.2.100/24'] }, lb4: { priority: 100 } } }],
  ])('VIP in two clusters: %s', (_name, inst) => {
    const issues = checkFleetRules(specFrom(), { segment: 'a', clusters: [{ name: 'c2', segment: 'b', spec: otherSpec(inst) }] });
    expect(issues).toContainEqual(expect.objectContaining({ code: 'FLEET_VIP_IN_TWO_CLUSTERS', path: [...VI, 'virtualIpAddresses', 0, 'address'], severity: 'error' }));
    expect(issues.filter((i) => i.code !== 'FLEET_VIP_SET_MISMATCH')).toHaveLength(1);
  });

  it('finds IPv6 VIPs spelled differently', () => {
    const spec = specFrom((s) => {
      s.vrrpInstances.VI_1.virtualIpAddresses = ['2001:db8::100/64'];
      s.vrrpInstances.VI_1.virtualIpAddressesExcluded = ['2001:db8::200/64'];
      s.virtualServers = [];
    });
    const issues = checkFleetRules(spec, { clusters: [{ name: 'c2', spec: otherSpec({ virtualIpAddresses: ['2001:DB8:0:0::200/128'] }) }] });
    expect(issues).toEqual([expect.objectContaining({ code: 'FLEET_VIP_IN_TWO_CLUSTERS', path: [...VI, 'virtualIpAddressesExcluded', 0, 'address'] })]);
  });

  it('VIP in two instances of one cluster', () => {
    const issues = checkFleetRules(specFrom((s) => {
      s.vrrpInstances.VI_2 = { interface: 'eth1', virtualRouterId: 52, virtualIpAddresses: ['198.51.100.1/24', '192.0.2.100/24'], directors: { lb1: { priority: 150 }, lb2: { priority: 100 } } };
    }));
    expect(issues).toEqual([expect.objectContaining({ code: 'FLEET_VIP_IN_TWO_INSTANCES', path: ['vrrpInstances', 'VI_2', 'virtualIpAddresses', 1, 'address'] })]);
  });
});

describe('site input handling', () => {
  it('skips a sibling spec that no longer parses, with a warning', () => {
    const broken = { version: 1, vrrpInstances: { X: { virtualRouterId: 999 } } } as unknown as ClusterSpec;
    const issues = checkFleetRules(specFrom(), { clusters: [{ name: 'old', spec: broken }] });
    expect(issues).toEqual([expect.objectContaining({ code: 'FLEET_SITE_SPEC_UNREADABLE', severity: 'warning' })]);
  });

  it('accepts sibling specs stored without defaults (raw input form)', () => {
    const raw = twoDirectorInput() as unknown as ClusterSpec;
    const issues = checkFleetRules(specFrom(), { segment: 's', clusters: [{ name: 'twin', segment: 's', spec: raw }] });
    expect(issues.map((i) => i.code).sort()).toEqual(['FLEET_VIP_IN_TWO_CLUSTERS', 'FLEET_VRID_CONFLICT_ON_SEGMENT']);
  });
});

describe('validateClusterSpec', () => {
  it('returns shape issues without running fleet rules', () => {
    const r = validateClusterSpec({ version: 1, vrrpInstances: { VI_1: { virtualRouterId: 0 } } });
    expect(r.ok).toBe(false);
    expect(r.spec).toBeUndefined();
    expect(r.issues.map((i) => i.code)).toEqual(['SHAPE_TOO_SMALL']);
  });

  it('is ok with warnings only, and returns the normalised spec', () => {
    const input = twoDirectorInput();
    input.virtualServers[0].address = '192.0.2.250';
    const r = validateClusterSpec(input);
    expect(r.ok).toBe(true);
    expect(r.issues.map((i) => [i.code, i.severity])).toEqual([['FLEET_VS_ADDRESS_NOT_VIP', 'warning']]);
    expect(r.spec?.vrrpInstances.VI_1?.advertIntervalMs).toBe(1000);
  });

  it('is not ok when a fleet rule fails, and passes the site through', () => {
    const r = validateClusterSpec(twoDirectorInput(), { segment: 'a', clusters: [{ name: 'c2', segment: 'a', spec: otherSpec({ virtualRouterId: 51 }) }] });
    expect(r.ok).toBe(false);
    expect(r.spec).toBeDefined();
    expect(r.issues.map((i) => i.code)).toEqual(['FLEET_VRID_CONFLICT_ON_SEGMENT']);
  });
});

describe('a pre-built site index gives the same answers as scanning the siblings', () => {
  const vipClash = otherSpec({ virtualIpAddresses: ['192.0.2.100/24'] });
  const vridClash = otherSpec({ virtualRouterId: 51 });
  it.each<[string, FleetSite]>([
    ['VRID on a shared segment', { cluster: 'web', segment: 'seg-a', clusters: [{ name: 'c2', segment: 'seg-a', spec: vridClash }] }],
    ['VIP held elsewhere', { cluster: 'web', segment: 'seg-a', clusters: [{ name: 'c2', segment: 'seg-b', spec: vipClash }] }],
    ['nothing shared', { cluster: 'web', segment: 'seg-a', clusters: [{ name: 'c2', segment: 'seg-b', spec: otherSpec({}) }] }],
  ])('%s', (_name, site) => {
    const spec = specFrom();
    const scanned = checkFleetRules(spec, site);
    // The index holds the whole site, this cluster's current spec included (ignored as its own).
    const index = buildSiteIndex([...site.clusters, { name: 'web', segment: site.segment, spec: specFrom((s) => { s.vrrpInstances.VI_1.virtualRouterId = 99; }) }]);
    expect(checkFleetRules(spec, { cluster: 'web', segment: site.segment, clusters: [], index })).toEqual(scanned);
  });
});
