import { describe, expect, it } from 'vitest';
import { specFrom } from '../fleet/testing.ts';
import { exampleClusterSpec } from './example.ts';
import { resolveDirectorConfig, UnknownDirectorError } from './resolve.ts';

describe('resolveDirectorConfig', () => {
  it('merges per-director overrides over instance values', () => {
    const lb1 = resolveDirectorConfig(exampleClusterSpec, 'lb1').instances.VI_WEB!;
    const lb2 = resolveDirectorConfig(exampleClusterSpec, 'lb2').instances.VI_WEB!;
    expect([lb1.priority, lb1.state]).toEqual([150, 'MASTER']);
    expect([lb2.priority, lb2.state]).toEqual([100, 'BACKUP']);
    expect(lb1.peerDirectors).toEqual(['lb2']);
    expect(lb2.peerDirectors).toEqual(['lb1']);
    for (const i of [lb1, lb2]) {
      expect(i).toMatchObject({ virtualRouterId: 51, version: 3, advertIntervalMs: 1000, interface: 'eth0', family: 'inet', accept: true });
    }
  });

  it('fills inherited defaults: version, interface, garp, track weights, multicast group', () => {
    const spec = specFrom((s) => {
      delete s.vrrpInstances.VI_1.interface;
      s.global = { defaultInterface: 'bond0', garp: { masterRepeat: 3 } };
      s.directors.lb2.defaultInterface = 'ens5';
      s.vrrpInstances.VI_1.garp = { masterDelayMs: 1000 };
      s.vrrpInstances.VI_1.trackScripts = [{ name: 'chk_web' }, { name: 'chk_web', weight: 10, reverse: true }];
    });
    const lb1 = resolveDirectorConfig(spec, 'lb1').instances.VI_1!;
    const lb2 = resolveDirectorConfig(spec, 'lb2').instances.VI_1!;
    expect(lb1.interface).toBe('bond0');
    expect(lb2.interface).toBe('ens5');
    expect(lb1.version).toBe(2);
    expect(lb1.garp).toEqual({ masterDelayMs: 1000, masterRepeat: 3, masterRefreshMs: 0, masterRefreshRepeat: 1, lowerPrioDelayMs: 1000, lowerPrioRepeat: 3, intervalMs: 0, gnaIntervalMs: 0, minGarp: false });
    expect(lb1.trackScripts).toEqual([{ name: 'chk_web', weight: -20, reverse: false }, { name: 'chk_web', weight: 10, reverse: true }]);
    expect(lb1.transport).toEqual({ kind: 'multicast', dstIp: '224.0.0.18' });
  });

  it('IPv6 instances default to VRRPv3 and the IPv6 group', () => {
    const spec = specFrom((s) => {
      s.vrrpInstances.VI_1.virtualIpAddresses = ['2001:db8::100/64'];
      s.directors.lb1.mcastSrcIp = 'fe80::1';
    });
    const i = resolveDirectorConfig(spec, 'lb1').instances.VI_1!;
    expect([i.family, i.version]).toEqual(['inet6', 3]);
    expect(i.transport).toEqual({ kind: 'multicast', dstIp: 'ff02::12', srcIp: 'fe80::1' });
  });

  it('unicast: sends to every listed peer except itself, source from override or director', () => {
    const spec = specFrom((s) => {
      s.directors.lb3 = { unicastSrcIp: '192.0.2.13' };
      s.vrrpInstances.VI_1.directors.lb3 = { priority: 50, unicastSrcIp: '192.0.2.33' };
      s.vrrpInstances.VI_1.unicastPeers = [{ address: '192.0.2.11' }, { address: '192.0.2.12' }, { address: '192.0.2.33', minTtl: 250 }];
      s.vrrpInstances.VI_1.unicastTtl = 255;
    });
    expect(resolveDirectorConfig(spec, 'lb1').instances.VI_1!.transport).toEqual({
      kind: 'unicast', srcIp: '192.0.2.11', ttl: 255, peers: [{ address: '192.0.2.12' }, { address: '192.0.2.33', minTtl: 250 }],
    });
    expect(resolveDirectorConfig(spec, 'lb3').instances.VI_1!.transport).toEqual({
      kind: 'unicast', srcIp: '192.0.2.33', ttl: 255, peers: [{ address: '192.0.2.11' }, { address: '192.0.2.12' }],
    });
  });

  it('accept mode: strict implies no_accept except for the address owner', () => {
    const spec = specFrom((s) => {
      s.global = { vrrpStrict: true };
      s.vrrpInstances.VI_1.directors.lb1.priority = 255;
    });
    expect(resolveDirectorConfig(spec, 'lb1').instances.VI_1!.accept).toBe(true);
    expect(resolveDirectorConfig(spec, 'lb2').instances.VI_1!.accept).toBe(false);
  });

  it('only lists instances and sync groups the director runs', () => {
    const spec = specFrom((s) => {
      s.vrrpInstances.VI_2 = { members: ['lb1'], interface: 'eth1', virtualRouterId: 52, virtualIpAddresses: ['198.51.100.1/24'] };
      s.syncGroups = { G: { group: ['VI_1', 'VI_2'] } };
    });
    const lb1 = resolveDirectorConfig(spec, 'lb1');
    const lb2 = resolveDirectorConfig(spec, 'lb2');
    expect(Object.keys(lb1.instances)).toEqual(['VI_1', 'VI_2']);
    expect(Object.keys(lb2.instances)).toEqual(['VI_1']);
    expect(lb1.syncGroups.G!.group).toEqual(['VI_1', 'VI_2']);
    expect(lb2.syncGroups.G!.group).toEqual(['VI_1']);
    expect(lb1.instances.VI_2!.syncGroup).toBe('G');
    expect(lb1.instances.VI_2!.peerDirectors).toEqual([]);
  });

  it('uses the whole per-director VIP list when overridden', () => {
    const spec = specFrom((s) => { s.vrrpInstances.VI_1.directors.lb2.virtualIpAddresses = [{ address: '192.0.2.100/24', dev: 'eth1' }]; });
    expect(resolveDirectorConfig(spec, 'lb2').instances.VI_1!.virtualIpAddresses).toEqual([{ address: '192.0.2.100/24', dev: 'eth1' }]);
    expect(resolveDirectorConfig(spec, 'lb1').instances.VI_1!.virtualIpAddresses).toEqual([{ address: '192.0.2.100/24' }]);
  });

  it('throws UnknownDirectorError for a director not in the spec', () => {
    expect(() => resolveDirectorConfig(exampleClusterSpec, 'lb9')).toThrow(UnknownDirectorError);
    expect(() => resolveDirectorConfig(exampleClusterSpec, 'lb9')).toThrow(/lb9.*lb1, lb2/);
  });
});

describe('resolveDirectorConfig with prototype-member names', () => {
  it('does not mistake "constructor" for a declared director', () => {
    expect(() => resolveDirectorConfig(exampleClusterSpec, 'constructor')).toThrow(UnknownDirectorError);
  });
});
