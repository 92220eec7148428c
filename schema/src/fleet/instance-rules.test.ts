import { describe, expect, it } from 'vitest';
import { exampleClusterSpec } from '../spec/example.ts';
import { checkFleetRules } from './check.ts';
import { FLEET_RULES, type FleetCode } from './codes.ts';
import { specFrom } from './testing.ts';

type Mutate = (s: Record<string, any>) => void; // eslint-disable-line @typescript-eslint/no-explicit-any
const VI = ['vrrpInstances', 'VI_1'];
const LB1 = [...VI, 'directors', 'lb1'];
const LB2 = [...VI, 'directors', 'lb2'];

function issuesFor(mutate: Mutate) {
  return checkFleetRules(specFrom(mutate));
}

describe('fixtures are clean', () => {
  it('the two-director fixture and the example raise nothing', () => {
    expect(checkFleetRules(specFrom())).toEqual([]);
    expect(checkFleetRules(exampleClusterSpec)).toEqual([]);
  });
});

describe('instance rules: each case raises exactly the expected code at the expected path', () => {
  it.each<[string, Mutate, FleetCode, (string | number)[], ('error' | 'warning')?]>([
    ['VRID differs on one director', (s) => { s.vrrpInstances.VI_1.directors.lb2.virtualRouterId = 52; }, 'FLEET_VRID_MISMATCH', [...LB2, 'virtualRouterId']],
    ['version differs on one director', (s) => { s.vrrpInstances.VI_1.directors.lb2.version = 3; }, 'FLEET_VERSION_MISMATCH', [...LB2, 'version']],
    ['advert interval differs', (s) => { s.vrrpInstances.VI_1.directors.lb2.advertIntervalMs = 2000; }, 'FLEET_ADVERT_INT_MISMATCH', [...LB2, 'advertIntervalMs']],
    ['auth password differs', (s) => {
      s.vrrpInstances.VI_1.auth = { type: 'PASS', password: '1111' };
      s.vrrpInstances.VI_1.directors.lb2.auth = { type: 'PASS', password: '2222' };
    }, 'FLEET_AUTH_MISMATCH', [...LB2, 'auth']],
    ['auth on one director only', (s) => { s.vrrpInstances.VI_1.directors.lb1.auth = { type: 'PASS', password: 'secret' }; }, 'FLEET_AUTH_MISMATCH', [...LB1, 'auth']],
    ['VIP set differs', (s) => { s.vrrpInstances.VI_1.directors.lb2.virtualIpAddresses = ['192.0.2.101/24']; }, 'FLEET_VIP_SET_MISMATCH', [...LB2, 'virtualIpAddresses']],
    ['VIP set has an extra address', (s) => { s.vrrpInstances.VI_1.directors.lb1.virtualIpAddresses = ['192.0.2.100/24', '192.0.2.102/24']; }, 'FLEET_VIP_SET_MISMATCH', [...LB1, 'virtualIpAddresses']],
    ['priority tie', (s) => { s.vrrpInstances.VI_1.directors.lb2.priority = 150; }, 'FLEET_PRIORITY_TIE', [...LB2, 'priority']],
    ['priority tie through the default 100', (s) => { s.vrrpInstances.VI_1.directors = { lb1: { state: 'MASTER' } }; }, 'FLEET_PRIORITY_TIE', [...VI, 'priority']],
    ['priority tie with nopreempt everywhere is only a warning', (s) => {
      s.vrrpInstances.VI_1.nopreempt = true;
      s.vrrpInstances.VI_1.directors = {};
    }, 'FLEET_PRIORITY_TIE', [...VI, 'priority'], 'warning'],
    ['two address owners', (s) => {
      s.vrrpInstances.VI_1.directors.lb1.priority = 255;
      s.vrrpInstances.VI_1.directors.lb2.priority = 255;
    }, 'FLEET_MULTIPLE_OWNERS', [...LB2, 'priority']],
    ['nopreempt with MASTER', (s) => { s.vrrpInstances.VI_1.nopreempt = true; }, 'FLEET_NOPREEMPT_WITH_MASTER', [...LB1, 'state']],
    ['nopreempt override with MASTER instance state', (s) => {
      s.vrrpInstances.VI_1.state = 'MASTER';
      s.vrrpInstances.VI_1.directors = { lb1: { priority: 150, nopreempt: true }, lb2: { priority: 100, state: 'BACKUP' } };
    }, 'FLEET_NOPREEMPT_WITH_MASTER', [...VI, 'state']],
    ['VRRPv2 with IPv6', (s) => {
      s.vrrpInstances.VI_1.version = 2;
      s.vrrpInstances.VI_1.virtualIpAddresses = ['2001:db8::100/64'];
      s.virtualServers = [];
    }, 'FLEET_V2_WITH_IPV6', [...VI, 'version']],
    ['auth with VRRPv3', (s) => {
      s.vrrpInstances.VI_1.version = 3;
      s.vrrpInstances.VI_1.auth = { type: 'PASS', password: 'x' };
    }, 'FLEET_AUTH_WITH_V3', [...VI, 'auth'], 'warning'],
    ['auth_type AH (Vigil cannot verify IPsec AH)', (s) => { s.vrrpInstances.VI_1.auth = { type: 'AH', password: 'secret' }; }, 'FLEET_AUTH_AH_UNSUPPORTED', [...VI, 'auth', 'type']],
    ['IPv4 and IPv6 VIPs mixed', (s) => { s.vrrpInstances.VI_1.virtualIpAddresses = ['192.0.2.100/24', '2001:db8::1/64']; }, 'FLEET_VIP_FAMILY_MIXED', [...VI, 'virtualIpAddresses', 1]],
    ['multicast instance without interface', (s) => { delete s.vrrpInstances.VI_1.interface; }, 'FLEET_NO_INTERFACE', [...VI, 'interface']],
    ['vrrp_strict with auth', (s) => {
      s.global = { vrrpStrict: true };
      s.vrrpInstances.VI_1.auth = { type: 'PASS', password: 'x' };
    }, 'FLEET_STRICT_MODE_VIOLATION', [...VI, 'auth']],
    ['vrrp_strict with MASTER below 255', (s) => { s.vrrpInstances.VI_1.strictMode = true; }, 'FLEET_STRICT_MODE_VIOLATION', [...LB1, 'state']],
  ])('%s', (_name, mutate, code, path, severity = FLEET_RULES[code].severity) => {
    const issues = issuesFor(mutate);
    expect(issues).toEqual([expect.objectContaining({ code, path, severity })]);
    expect(issues[0]!.message).toContain('VI_1');
    expect(issues[0]!.hint).toBe(FLEET_RULES[code].hint);
  });
});

describe('instance rules: legitimate per-director differences pass', () => {
  it.each<[string, Mutate]>([
    ['same VIP set with another dev/label', (s) => { s.vrrpInstances.VI_1.directors.lb2.virtualIpAddresses = [{ address: '192.0.2.100/24', dev: 'eth1', label: 'eth1:v' }]; }],
    ['same VIP spelled differently', (s) => {
      s.vrrpInstances.VI_1.virtualIpAddresses = ['2001:db8::100/64'];
      s.vrrpInstances.VI_1.directors.lb2.virtualIpAddresses = ['2001:DB8:0::100/64'];
      s.virtualServers = [];
    }],
    ['another interface and tracked interfaces per director', (s) => {
      s.vrrpInstances.VI_1.directors.lb2.interface = 'ens3';
      s.vrrpInstances.VI_1.directors.lb2.trackInterfaces = [{ interface: 'ens4', weight: -10 }];
    }],
    ['an override equal to the instance value', (s) => { s.vrrpInstances.VI_1.directors.lb2.virtualRouterId = 51; }],
    ['IPv6 without explicit version (implicitly v3)', (s) => {
      s.vrrpInstances.VI_1.virtualIpAddresses = ['2001:db8::100/64'];
      s.virtualServers[0].address = '2001:db8::100';
    }],
    ['interface from global default', (s) => {
      delete s.vrrpInstances.VI_1.interface;
      s.global = { defaultInterface: 'eth0' };
    }],
    ['nopreempt with BACKUP everywhere and distinct priorities', (s) => {
      s.vrrpInstances.VI_1.nopreempt = true;
      s.vrrpInstances.VI_1.directors.lb1.state = 'BACKUP';
    }],
    ['one owner (255) and one backup', (s) => { s.vrrpInstances.VI_1.directors.lb1.priority = 255; }],
  ])('%s', (_name, mutate) => {
    expect(issuesFor(mutate)).toEqual([]);
  });
});

describe('instance rule details', () => {
  it('does not put the auth password in messages', () => {
    const [issue] = issuesFor((s) => {
      s.vrrpInstances.VI_1.auth = { type: 'PASS', password: 'topsecr' };
      s.vrrpInstances.VI_1.directors.lb2.auth = { type: 'PASS', password: 'other1' };
    });
    expect(issue!.code).toBe('FLEET_AUTH_MISMATCH');
    expect(issue!.message).not.toMatch(/topsecr|other1/);
  });

  it('an IPv6 override forcing v2 is both a version mismatch and v2-with-IPv6', () => {
    const issues = issuesFor((s) => {
      s.vrrpInstances.VI_1.virtualIpAddresses = ['2001:db8::100/64'];
      s.vrrpInstances.VI_1.directors.lb2.version = 2;
      s.virtualServers = [];
    });
    expect(issues.map((i) => [i.code, i.path])).toEqual([
      ['FLEET_VERSION_MISMATCH', [...LB2, 'version']],
      ['FLEET_V2_WITH_IPV6', [...LB2, 'version']],
    ]);
  });

  it('reports every deviating director against the inherited value', () => {
    const issues = issuesFor((s) => {
      s.directors.lb3 = { unicastSrcIp: '192.0.2.13' };
      s.vrrpInstances.VI_1.directors.lb2.virtualRouterId = 52;
      s.vrrpInstances.VI_1.directors.lb3 = { priority: 50, virtualRouterId: 53 };
    });
    expect(issues.map((i) => [i.code, i.path])).toEqual([
      ['FLEET_VRID_MISMATCH', [...LB2, 'virtualRouterId']],
      ['FLEET_VRID_MISMATCH', [...VI, 'directors', 'lb3', 'virtualRouterId']],
    ]);
  });

  it('uses the first director as reference when every director overrides', () => {
    const issues = issuesFor((s) => {
      s.vrrpInstances.VI_1.directors.lb1.advertIntervalMs = 2000;
      s.vrrpInstances.VI_1.directors.lb2.advertIntervalMs = 3000;
    });
    expect(issues.map((i) => [i.code, i.path])).toEqual([['FLEET_ADVERT_INT_MISMATCH', [...LB2, 'advertIntervalMs']]]);
  });

  it('ignores instance members that are not declared directors (reported as unknown)', () => {
    const issues = issuesFor((s) => { s.vrrpInstances.VI_1.members = ['lb1', 'lb2', 'ghost']; });
    expect(issues.map((i) => i.code)).toEqual(['FLEET_UNKNOWN_DIRECTOR']);
  });
});
