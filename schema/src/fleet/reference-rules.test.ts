import { describe, expect, it } from 'vitest';
import { parseClusterSpec } from '../spec/parse.ts';
import { checkFleetRules } from './check.ts';
import { FLEET_RULES, type FleetCode } from './codes.ts';
import { specFrom, twoDirectorInput } from './testing.ts';

type Mutate = (s: Record<string, any>) => void; // eslint-disable-line @typescript-eslint/no-explicit-any
const VI = ['vrrpInstances', 'VI_1'];

/** VI_1's chk_web at weight 0: a weighted tracker on a sync group member is ignored (warned). */
const groupable: Mutate = (s) => { s.vrrpInstances.VI_1.trackScripts = [{ name: 'chk_web', weight: 0 }]; };
/** Adds VI_2 on eth1 (VRID 52, VIP .110) so sync groups have two members. */
const addVi2: Mutate = (s) => {
  groupable(s);
  s.vrrpInstances.VI_2 = { interface: 'eth1', virtualRouterId: 52, virtualIpAddresses: ['198.51.100.110/24'], directors: { lb1: { priority: 150 }, lb2: { priority: 100 } } };
};
const unicast: Mutate = (s) => { s.vrrpInstances.VI_1.unicastPeers = [{ address: '192.0.2.11' }, { address: '192.0.2.12' }]; };

describe('reference and unicast rules: each case raises exactly the expected code at the expected path', () => {
  it.each<[string, Mutate, FleetCode, (string | number)[]]>([
    ['track_script naming an unknown script', (s) => { s.vrrpInstances.VI_1.trackScripts.push({ name: 'chk_nginx' }); }, 'FLEET_UNKNOWN_TRACK_SCRIPT', [...VI, 'trackScripts', 1, 'name']],
    ['sync group track_script naming an unknown script', (s) => {
      addVi2(s);
      s.syncGroups = { G: { group: ['VI_1', 'VI_2'], trackScripts: [{ name: 'nope' }] } };
    }, 'FLEET_UNKNOWN_TRACK_SCRIPT', ['syncGroups', 'G', 'trackScripts', 0, 'name']],
    ['track_file naming an unknown file', (s) => { s.vrrpInstances.VI_1.trackFiles = [{ name: 'maint2', weight: -50 }]; }, 'FLEET_UNKNOWN_TRACK_FILE', [...VI, 'trackFiles', 0, 'name']],
    ['track_process naming an unknown process', (s) => { s.vrrpInstances.VI_1.trackProcesses = [{ name: 'nginx' }]; }, 'FLEET_UNKNOWN_TRACK_PROCESS', [...VI, 'trackProcesses', 0, 'name']],
    ['FILE_CHECK naming an unknown track_file', (s) => { s.virtualServers[0].realServers[0].checkers = [{ type: 'FILE_CHECK', trackFile: 'rs1' }]; }, 'FLEET_UNKNOWN_TRACK_FILE', ['virtualServers', 0, 'realServers', 0, 'checkers', 0, 'trackFile']],
    ['sync group naming an unknown instance', (s) => { groupable(s); s.syncGroups = { G: { group: ['VI_1', 'VI_X'] } }; }, 'FLEET_SYNC_GROUP_UNKNOWN_INSTANCE', ['syncGroups', 'G', 'group', 1]],
    ['sync group names are case-sensitive', (s) => {
      addVi2(s);
      s.syncGroups = { G: { group: ['VI_1', 'vi_2'] } };
    }, 'FLEET_SYNC_GROUP_UNKNOWN_INSTANCE', ['syncGroups', 'G', 'group', 1]],
    ['instance in two sync groups', (s) => {
      addVi2(s);
      s.vrrpInstances.VI_3 = { interface: 'eth2', virtualRouterId: 53, virtualIpAddresses: ['203.0.113.1/24'], directors: { lb1: { priority: 150 }, lb2: { priority: 100 } } };
      s.syncGroups = { G1: { group: ['VI_1', 'VI_2'] }, G2: { group: ['VI_1', 'VI_3'] } };
    }, 'FLEET_SYNC_GROUP_OVERLAP', ['syncGroups', 'G2', 'group', 0]],
    ['weighted track_script on a sync group member', (s) => {
      addVi2(s);
      s.vrrpScripts.chk = { script: '/bin/true', weight: -20 };
      s.vrrpInstances.VI_2.trackScripts = [{ name: 'chk' }];
      s.syncGroups = { G: { group: ['VI_1', 'VI_2'] } };
    }, 'FLEET_SYNC_GROUP_TRACKER_WEIGHT_IGNORED', ['vrrpInstances', 'VI_2', 'trackScripts', 0]],
    ['sync group of one', (s) => { groupable(s); s.syncGroups = { G: { group: ['VI_1'] } }; }, 'FLEET_SYNC_GROUP_SINGLE', ['syncGroups', 'G', 'group']],
    ['sync group instances on different directors', (s) => {
      addVi2(s);
      s.vrrpInstances.VI_2.members = ['lb1'];
      s.vrrpInstances.VI_2.directors = { lb1: { priority: 150 } };
      s.syncGroups = { G: { group: ['VI_1', 'VI_2'] } };
    }, 'FLEET_SYNC_GROUP_MEMBERS_DIFFER', ['syncGroups', 'G', 'group', 1]],
    ['override for an undeclared director', (s) => { s.vrrpInstances.VI_1.directors.lb3 = { priority: 50 }; }, 'FLEET_UNKNOWN_DIRECTOR', [...VI, 'directors', 'lb3']],
    ['member that is not a declared director', (s) => { s.vrrpInstances.VI_1.members = ['lb1', 'lb2', 'lb9']; }, 'FLEET_UNKNOWN_DIRECTOR', [...VI, 'members', 2]],
    ['override for a director that is not a member', (s) => {
      s.directors.lb3 = {};
      s.vrrpInstances.VI_1.members = ['lb1', 'lb2'];
      s.vrrpInstances.VI_1.directors.lb3 = { priority: 50 };
    }, 'FLEET_OVERRIDE_NOT_MEMBER', [...VI, 'directors', 'lb3']],
    ['no directors at all', (s) => {
      s.directors = {};
      s.vrrpInstances.VI_1.directors = {};
    }, 'FLEET_NO_DIRECTORS', ['directors']],
    ['lvs_sync_daemon following an unknown instance', (s) => { s.global = { lvsSyncDaemon: { interface: 'eth0', instance: 'VI_9' } }; }, 'FLEET_UNKNOWN_INSTANCE', ['global', 'lvsSyncDaemon', 'instance']],
    ['virtual server with an unknown group', (s) => { s.virtualServers.push({ group: 'web', realServers: [] }); }, 'FLEET_UNKNOWN_VS_GROUP', ['virtualServers', 1, 'group']],
    ['the same virtual server twice', (s) => { s.virtualServers.push({ address: '192.0.2.100', port: 80, realServers: [] }); }, 'FLEET_DUPLICATE_VIRTUAL_SERVER', ['virtualServers', 1]],
    ['virtual server on an address no instance holds', (s) => { s.virtualServers[0].address = '192.0.2.200'; }, 'FLEET_VS_ADDRESS_NOT_VIP', ['virtualServers', 0, 'address']],
    ['unicast peer that is not a member', (s) => {
      unicast(s);
      s.vrrpInstances.VI_1.unicastPeers.push({ address: '192.0.2.13' });
    }, 'FLEET_UNICAST_PEER_NOT_MEMBER', [...VI, 'unicastPeers', 2, 'address']],
    ['member missing from unicast peers', (s) => { s.vrrpInstances.VI_1.unicastPeers = [{ address: '192.0.2.11' }]; }, 'FLEET_UNICAST_MEMBER_NOT_PEER', [...VI, 'unicastPeers']],
    ['member of a unicast instance without unicastSrcIp', (s) => {
      unicast(s);
      delete s.directors.lb2.unicastSrcIp;
    }, 'FLEET_UNICAST_SRC_UNKNOWN', ['directors', 'lb2', 'unicastSrcIp']],
    ['unicast_ttl below 255 with peers that allow only 255', (s) => {
      unicast(s);
      s.vrrpInstances.VI_1.unicastTtl = 64;
    }, 'FLEET_UNICAST_TTL_DROPPED', [...VI, 'unicastTtl']],
    ['unicast_ttl below a peer\'s min_ttl', (s) => {
      s.vrrpInstances.VI_1.unicastPeers = [{ address: '192.0.2.11', minTtl: 100 }, { address: '192.0.2.12', minTtl: 60, maxTtl: 64 }];
      s.vrrpInstances.VI_1.unicastTtl = 64;
    }, 'FLEET_UNICAST_TTL_DROPPED', [...VI, 'unicastPeers', 0, 'minTtl']],
    ['min_ttl above max_ttl', (s) => {
      s.vrrpInstances.VI_1.unicastPeers = [{ address: '192.0.2.11' }, { address: '192.0.2.12', minTtl: 200, maxTtl: 100 }];
    }, 'FLEET_UNICAST_TTL_RANGE_EMPTY', [...VI, 'unicastPeers', 1, 'minTtl']],
    ['IPv6 unicast without unicast_ttl (keepalived peers send hop limit 64)', (s) => {
      s.directors = { lb1: { unicastSrcIp: '2001:db8::11' }, lb2: { unicastSrcIp: '2001:db8::12' } };
      s.vrrpInstances.VI_1.virtualIpAddresses = ['2001:db8::100/64'];
      s.vrrpInstances.VI_1.unicastPeers = [{ address: '2001:db8::11' }, { address: '2001:db8::12' }];
      s.virtualServers[0].address = '2001:db8::100';
    }, 'FLEET_UNICAST_IPV6_HOP_LIMIT', [...VI, 'unicastPeers']],
    ['vrrp_strict with unicast', (s) => {
      unicast(s);
      s.global = { vrrpStrict: true };
      s.vrrpInstances.VI_1.directors.lb1.priority = 255;
    }, 'FLEET_STRICT_MODE_VIOLATION', [...VI, 'unicastPeers']],
  ])('%s', (_name, mutate, code, path) => {
    const issues = checkFleetRules(specFrom(mutate));
    expect(issues).toEqual([expect.objectContaining({ code, path, severity: FLEET_RULES[code].severity })]);
  });
});

describe('reference and unicast rules: valid variants pass', () => {
  it.each<[string, Mutate]>([
    ['a proper sync group', (s) => {
      addVi2(s);
      s.syncGroups = { G: { group: ['VI_1', 'VI_2'], trackFiles: [{ name: 'maint' }], trackProcesses: [{ name: 'haproxy' }] } };
    }],
    ['unicast peers listing every member (own address included)', unicast],
    ['unicast peers in another spelling and a per-instance source override', (s) => {
      s.directors = { lb1: { unicastSrcIp: '2001:db8::11' }, lb2: {} };
      s.vrrpInstances.VI_1.virtualIpAddresses = ['2001:db8::100/64'];
      s.vrrpInstances.VI_1.directors.lb2.unicastSrcIp = '2001:db8::12';
      s.vrrpInstances.VI_1.unicastPeers = [{ address: '2001:DB8:0::11' }, { address: '2001:db8::0:12' }];
      s.vrrpInstances.VI_1.unicastTtl = 255;
      s.virtualServers[0].address = '2001:db8::100';
    }],
    ['unicast_ttl below 255 with every peer allowing it', (s) => {
      s.vrrpInstances.VI_1.unicastPeers = [{ address: '192.0.2.11', minTtl: 60, maxTtl: 64 }, { address: '192.0.2.12', maxTtl: 64 }];
      s.vrrpInstances.VI_1.unicastTtl = 64;
    }],
    ['IPv6 unicast whose peers allow hop limit 64', (s) => {
      s.directors = { lb1: { unicastSrcIp: '2001:db8::11' }, lb2: { unicastSrcIp: '2001:db8::12' } };
      s.vrrpInstances.VI_1.virtualIpAddresses = ['2001:db8::100/64'];
      s.vrrpInstances.VI_1.unicastPeers = [{ address: '2001:db8::11', minTtl: 64, maxTtl: 64 }, { address: '2001:db8::12', minTtl: 64, maxTtl: 64 }];
      s.virtualServers[0].address = '2001:db8::100';
    }],
    ['FILE_CHECK on a defined track_file', (s) => { s.virtualServers[0].realServers[0].checkers = [{ type: 'FILE_CHECK', trackFile: 'maint', dynamic: true }]; }],
    ['virtual server group defined and used', (s) => {
      s.virtualServerGroups = { web: { members: [{ address: '192.0.2.100', port: 443 }] } };
      s.virtualServers.push({ group: 'web', realServers: [] });
    }],
    ['same address on another port and protocol', (s) => {
      s.virtualServers.push({ address: '192.0.2.100', port: 443, realServers: [] }, { address: '192.0.2.100', port: 80, protocol: 'UDP', realServers: [] });
    }],
  ])('%s', (_name, mutate) => {
    expect(checkFleetRules(specFrom(mutate))).toEqual([]);
  });
});

describe('names that collide with Object.prototype members', () => {
  it.each<[string, Mutate, (string | number)[]]>([
    ['track_script "constructor"', (s) => { s.vrrpScripts = { ...s.vrrpScripts, constructor: { script: '/bin/true' } }; }, ['vrrpScripts', 'constructor']],
    ['instance "toString"', (s) => { s.vrrpInstances = { ...s.vrrpInstances, toString: s.vrrpInstances.VI_1 }; }, ['vrrpInstances', 'toString']],
    ['override for director "constructor"', (s) => { s.vrrpInstances.VI_1.directors = { ...s.vrrpInstances.VI_1.directors, constructor: { priority: 1 } }; }, [...VI, 'directors', 'constructor']],
    ['reference to track_script "hasOwnProperty"', (s) => { s.vrrpInstances.VI_1.trackScripts = [{ name: 'hasOwnProperty' }]; }, [...VI, 'trackScripts', 0, 'name']],
  ])('%s is refused by the shape (reserved name)', (_name, mutate, path) => {
    const input = twoDirectorInput();
    mutate(input);
    const r = parseClusterSpec(input);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues).toEqual([expect.objectContaining({ path, message: expect.stringMatching(/reserved/) })]);
  });

  it('refuses a "__proto__" key instead of letting zod drop it, and pollutes nothing', () => {
    const input = JSON.parse('{"version":1,"vrrpScripts":{"__proto__":{"script":"/bin/true"},"ok":{"script":"/bin/x"}}}');
    const r = parseClusterSpec(input);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues).toEqual([expect.objectContaining({ code: 'SHAPE_RESERVED_NAME', path: ['vrrpScripts', '__proto__'] })]);
    expect(({} as Record<string, unknown>).script).toBeUndefined();
  });
});
