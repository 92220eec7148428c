import { describe, expect, it } from 'vitest';
import { exampleClusterSpec, exampleClusterSpecInput } from './example.ts';
import { formatSpecPath, parseClusterSpec, type SpecIssue } from './parse.ts';

/** A minimal valid spec with one instance; `patch` replaces/extends VI_1. */
function withInstance(patch: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    version: 1,
    directors: { lb1: {}, lb2: {} },
    vrrpInstances: { VI_1: { interface: 'eth0', virtualRouterId: 51, virtualIpAddresses: ['192.0.2.100/24'], ...patch } },
    ...extra,
  };
}

function withVirtualServer(vs: Record<string, unknown>) {
  return { version: 1, virtualServers: [{ address: '192.0.2.100', port: 80, ...vs }] };
}

function withChecker(checker: Record<string, unknown>) {
  return withVirtualServer({ realServers: [{ address: '192.0.2.21', port: 80, checkers: [checker] }] });
}

function issuesOf(input: unknown): SpecIssue[] {
  const r = parseClusterSpec(input);
  if (r.ok) throw new Error('expected the spec to be rejected');
  return r.issues;
}

describe('parseClusterSpec: valid specs and defaults', () => {
  it('accepts the example and applies keepalived defaults', () => {
    const r = parseClusterSpec(exampleClusterSpecInput);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.spec).toEqual(exampleClusterSpec);
    const vs = r.spec.virtualServers[1]!;
    expect(vs.protocol).toBe('TCP');
    expect(vs.quorum).toBe(1);
    expect(vs.realServers[0]!.weight).toBe(1);
  });

  it('fills instance, global and LVS defaults', () => {
    const r = parseClusterSpec({ ...withInstance({}), virtualServers: [{ address: '192.0.2.100', port: 80, realServers: [{ address: '192.0.2.21' }] }] });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const inst = r.spec.vrrpInstances.VI_1!;
    expect(inst).toMatchObject({ priority: 100, state: 'BACKUP', advertIntervalMs: 1000, nopreempt: false, preemptDelayMs: 0, unicastPeers: [], directors: {} });
    expect(inst.version).toBeUndefined();
    expect(inst.virtualIpAddresses).toEqual([{ address: '192.0.2.100/24' }]);
    expect(r.spec.global).toMatchObject({ vrrpVersion: 2, vrrpMcastGroup4: '224.0.0.18', vrrpMcastGroup6: 'ff02::12', vrrpStrict: false });
    expect(r.spec.global.garp).toMatchObject({ masterDelayMs: 5000, masterRepeat: 5, masterRefreshMs: 0, masterRefreshRepeat: 1 });
    expect(r.spec.virtualServers[0]).toMatchObject({ scheduler: 'wlc', method: 'NAT', protocol: 'TCP', quorum: 1, hysteresis: 0, inhibitOnFailure: false });
    expect(r.spec.virtualServers[0]!.realServers[0]).toMatchObject({ weight: 1, checkers: [] });
  });

  it('defaults vrrp_script, track_file, track_process and DNS_CHECK like keepalived', () => {
    const r = parseClusterSpec({
      version: 1,
      vrrpScripts: { chk: { script: '/bin/true' } },
      trackFiles: { tf: { file: '/run/vigil/tf' } },
      trackProcesses: { tp: { process: 'nginx' } },
      virtualServers: [{ address: '192.0.2.100', port: 53, protocol: 'UDP', realServers: [{ address: '192.0.2.21', port: 53, checkers: [{ type: 'DNS_CHECK' }] }] }],
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.spec.vrrpScripts.chk).toEqual({ script: '/bin/true', intervalMs: 1000, weight: 0, reverse: false, rise: 1, fall: 1, initFail: false });
    expect(r.spec.trackFiles.tf).toMatchObject({ weight: 1 });
    expect(r.spec.trackProcesses.tp).toMatchObject({ weight: 0, quorum: 1 });
    expect(r.spec.virtualServers[0]!.realServers[0]!.checkers[0]).toEqual({ type: 'DNS_CHECK', queryType: 'SOA', name: '.' });
  });

  it('accepts every checker type', () => {
    const checkers = [
      { type: 'TCP_CHECK', connectPort: 8080, bindTo: '192.0.2.11' },
      { type: 'HTTP_GET', urls: [{ path: '/', digest: '9b3a0c85a887a256d6939da88aabd8cd', statusCodes: [200] }] },
      { type: 'SSL_GET', enableSni: true, sniName: 'www.example.com', urls: [{ path: '/h', regex: 'ok', regexNoMatch: false }] },
      { type: 'MISC_CHECK', miscPath: '/usr/local/bin/chk', miscDynamic: true, miscTimeoutMs: 3000 },
      { type: 'DNS_CHECK', queryType: 'A', name: 'example.com' },
      { type: 'SMTP_CHECK', heloName: 'lb1' },
      { type: 'UDP_CHECK', payload: '0a0b', requireReply: '0aXX', minReplyLength: 2 },
      { type: 'PING_CHECK' },
      { type: 'FILE_CHECK', trackFile: 'rs1', dynamic: true },
    ];
    const r = parseClusterSpec(withVirtualServer({ realServers: [{ address: '192.0.2.21', port: 80, checkers }] }));
    expect(r.ok).toBe(true);
  });

  it('accepts IPv6, unicast peers, fwmark and group services', () => {
    const r = parseClusterSpec({
      version: 1,
      directors: { lb1: { unicastSrcIp: '2001:db8::11' }, lb2: { unicastSrcIp: '2001:db8::12' } },
      vrrpInstances: {
        VI_6: { interface: 'eth0', virtualRouterId: 7, version: 3, advertIntervalMs: 250, virtualIpAddresses: [{ address: '2001:db8::100/64', dev: 'eth0' }], unicastPeers: [{ address: '2001:db8::11' }, { address: '2001:db8::12' }] },
      },
      virtualServerGroups: { web: { members: [{ address: '192.0.2.100-110', port: 80 }, { fwmark: 5 }] } },
      virtualServers: [{ fwmark: 5, realServers: [] }, { group: 'web', realServers: [] }],
    });
    expect(r.ok).toBe(true);
  });
});

describe('parseClusterSpec: what is stored parses back to itself', () => {
  // The replica that writes a revision keeps the spec it validated instead of parsing the
  // stored JSON again (control-plane/src/services/specs/parsed.ts): that is only right if the
  // parse of the stored form is the same spec.
  it('for the example, every checker type, IPv6 and groups, and a spec with defaults left out', () => {
    const inputs = [
      exampleClusterSpecInput,
      withChecker({ type: 'HTTP_GET', urls: [{ path: '/', digest: '9b3a0c85a887a256d6939da88aabd8cd', statusCodes: [200] }] }),
      withVirtualServer({ realServers: [{ address: '192.0.2.21', port: 80, checkers: [{ type: 'TCP_CHECK' }, { type: 'MISC_CHECK', miscPath: '/bin/true' }, { type: 'DNS_CHECK', queryType: 'A', name: 'example.com' }] }] }),
      withInstance({ version: 3, advertIntervalMs: 250, unicastPeers: [{ address: '192.0.2.12' }], virtualIpAddresses: [{ address: '192.0.2.100/24', dev: 'eth0', label: 'eth0:web' }] }),
      {
        version: 1,
        directors: { lb1: { unicastSrcIp: '2001:db8::11' }, lb2: {} },
        vrrpInstances: { VI_6: { interface: 'eth0', virtualRouterId: 7, version: 3, virtualIpAddresses: ['2001:db8::100/64'] } },
        virtualServerGroups: { web: { members: [{ address: '192.0.2.100-110', port: 80 }, { fwmark: 5 }] } },
        virtualServers: [{ fwmark: 5, realServers: [] }, { group: 'web', realServers: [] }],
      },
    ];
    for (const input of inputs) {
      const first = parseClusterSpec(input);
      if (!first.ok) throw new Error(`expected ${JSON.stringify(input).slice(0, 80)} to parse`);
      const again = parseClusterSpec(JSON.parse(JSON.stringify(first.spec)));
      if (!again.ok) throw new Error('the stored form did not parse');
      expect(again.spec).toStrictEqual(first.spec);
    }
  });
});

describe('parseClusterSpec: rejected shapes', () => {
  it.each<[string, unknown, string, (string | number)[]]>([
    ['VRID 0', withInstance({ virtualRouterId: 0 }), 'SHAPE_TOO_SMALL', ['vrrpInstances', 'VI_1', 'virtualRouterId']],
    ['VRID 256', withInstance({ virtualRouterId: 256 }), 'SHAPE_TOO_BIG', ['vrrpInstances', 'VI_1', 'virtualRouterId']],
    ['VRID not integer', withInstance({ virtualRouterId: 5.5 }), 'SHAPE_INVALID_TYPE', ['vrrpInstances', 'VI_1', 'virtualRouterId']],
    ['priority 0', withInstance({ priority: 0 }), 'SHAPE_TOO_SMALL', ['vrrpInstances', 'VI_1', 'priority']],
    ['priority 256 in override', withInstance({ directors: { lb1: { priority: 256 } } }), 'SHAPE_TOO_BIG', ['vrrpInstances', 'VI_1', 'directors', 'lb1', 'priority']],
    ['bad VIP', withInstance({ virtualIpAddresses: ['192.0.2.300'] }), 'SHAPE_INVALID_ADDRESS', ['vrrpInstances', 'VI_1', 'virtualIpAddresses', 0, 'address']],
    ['bad VIP prefix', withInstance({ virtualIpAddresses: [{ address: '192.0.2.1/33' }] }), 'SHAPE_INVALID_ADDRESS', ['vrrpInstances', 'VI_1', 'virtualIpAddresses', 0, 'address']],
    ['bad IPv6 peer', withInstance({ unicastPeers: [{ address: '2001:db8:::1' }] }), 'SHAPE_INVALID_ADDRESS', ['vrrpInstances', 'VI_1', 'unicastPeers', 0, 'address']],
    ['unknown top-level key', { version: 1, vrrp_instances: {} }, 'SHAPE_UNRECOGNIZED_KEYS', ['vrrp_instances']],
    ['unknown instance key (typo)', withInstance({ interfce: 'eth0' }), 'SHAPE_UNRECOGNIZED_KEYS', ['vrrpInstances', 'VI_1', 'interfce']],
    ['unknown VIP key', withInstance({ virtualIpAddresses: [{ address: '192.0.2.1', device: 'eth0' }] }), 'SHAPE_UNRECOGNIZED_KEYS', ['vrrpInstances', 'VI_1', 'virtualIpAddresses', 0, 'device']],
    ['state lower-case', withInstance({ state: 'master' }), 'SHAPE_INVALID_VALUE', ['vrrpInstances', 'VI_1', 'state']],
    ['version 4', withInstance({ version: 4 }), 'SHAPE_INVALID_UNION', ['vrrpInstances', 'VI_1', 'version']],
    ['spec version 2', { version: 2 }, 'SHAPE_INVALID_VALUE', ['version']],
    ['v2 fractional advert', withInstance({ advertIntervalMs: 1500 }), 'SHAPE_ADVERT_INTERVAL', ['vrrpInstances', 'VI_1', 'advertIntervalMs']],
    ['v3 advert not 10 ms step', withInstance({ version: 3, advertIntervalMs: 1005 }), 'SHAPE_ADVERT_INTERVAL', ['vrrpInstances', 'VI_1', 'advertIntervalMs']],
    ['v3 advert above 40950', withInstance({ version: 3, advertIntervalMs: 41_000 }), 'SHAPE_ADVERT_INTERVAL', ['vrrpInstances', 'VI_1', 'advertIntervalMs']],
    ['advert below 10 ms', withInstance({ version: 3, advertIntervalMs: 5 }), 'SHAPE_TOO_SMALL', ['vrrpInstances', 'VI_1', 'advertIntervalMs']],
    ['override makes v2 with 500 ms', withInstance({ version: 3, advertIntervalMs: 500, directors: { lb2: { version: 2 } } }), 'SHAPE_ADVERT_INTERVAL', ['vrrpInstances', 'VI_1', 'directors', 'lb2', 'version']],
    ['track weight 254', withInstance({ trackInterfaces: [{ interface: 'eth1', weight: 254 }] }), 'SHAPE_TOO_BIG', ['vrrpInstances', 'VI_1', 'trackInterfaces', 0, 'weight']],
    ['track weight -254', withInstance({ trackScripts: [{ name: 'x', weight: -254 }] }), 'SHAPE_TOO_SMALL', ['vrrpInstances', 'VI_1', 'trackScripts', 0, 'weight']],
    ['auth_pass longer than 8', withInstance({ auth: { type: 'PASS', password: '123456789' } }), 'SHAPE_TOO_BIG', ['vrrpInstances', 'VI_1', 'auth', 'password']],
    ['interface name too long', withInstance({ interface: 'averyveryverylongif' }), 'SHAPE_INVALID_FORMAT', ['vrrpInstances', 'VI_1', 'interface']],
    ['instance name with space', { version: 1, vrrpInstances: { 'VI 1': { virtualRouterId: 1 } } }, 'SHAPE_INVALID_KEY', ['vrrpInstances', 'VI 1']],
    ['director name with slash', { version: 1, directors: { 'lb/1': {} } }, 'SHAPE_INVALID_KEY', ['directors', 'lb/1']],
    ['port 0 on real server', withVirtualServer({ realServers: [{ address: '192.0.2.21', port: 0 }] }), 'SHAPE_TOO_SMALL', ['virtualServers', 0, 'realServers', 0, 'port']],
    ['port 65536', withVirtualServer({ port: 65536 }), 'SHAPE_TOO_BIG', ['virtualServers', 0, 'port']],
    ['unknown scheduler', withVirtualServer({ scheduler: 'random' }), 'SHAPE_INVALID_VALUE', ['virtualServers', 0, 'scheduler']],
    ['address and fwmark', withVirtualServer({ fwmark: 3 }), 'SHAPE_VS_IDENTITY', ['virtualServers', 0]],
    ['address without port', { version: 1, virtualServers: [{ address: '192.0.2.100' }] }, 'SHAPE_VS_PORT', ['virtualServers', 0, 'port']],
    ['persistence not whole seconds', withVirtualServer({ persistenceTimeoutMs: 1500 }), 'SHAPE_WHOLE_SECONDS', ['virtualServers', 0, 'persistenceTimeoutMs']],
    ['tunnel with NAT', withVirtualServer({ tunnel: { type: 'ipip' } }), 'SHAPE_TUNNEL_WITHOUT_TUN', ['virtualServers', 0, 'tunnel']],
    ['gue without port', withVirtualServer({ method: 'TUN', tunnel: { type: 'gue' } }), 'SHAPE_TUNNEL_PORT', ['virtualServers', 0, 'tunnel', 'port']],
    ['unknown checker type', withChecker({ type: 'LDAP_CHECK' }), 'SHAPE_INVALID_UNION', ['virtualServers', 0, 'realServers', 0, 'checkers', 0, 'type']],
    ['HTTP_GET without url', withChecker({ type: 'HTTP_GET', urls: [] }), 'SHAPE_TOO_SMALL', ['virtualServers', 0, 'realServers', 0, 'checkers', 0, 'urls']],
    ['status range reversed', withChecker({ type: 'HTTP_GET', urls: [{ path: '/', statusCodes: [{ from: 302, to: 301 }] }] }), 'SHAPE_STATUS_RANGE', ['virtualServers', 0, 'realServers', 0, 'checkers', 0, 'urls', 0, 'statusCodes', 0]],
    ['bad digest', withChecker({ type: 'HTTP_GET', urls: [{ path: '/', digest: 'xyz' }] }), 'SHAPE_INVALID_FORMAT', ['virtualServers', 0, 'realServers', 0, 'checkers', 0, 'urls', 0, 'digest']],
    ['MISC_CHECK with connect_ip', withChecker({ type: 'MISC_CHECK', miscPath: '/bin/true', connectIp: '192.0.2.1' }), 'SHAPE_UNRECOGNIZED_KEYS', ['virtualServers', 0, 'realServers', 0, 'checkers', 0, 'connectIp']],
    ['UDP payload not hex', withChecker({ type: 'UDP_CHECK', payload: 'zz' }), 'SHAPE_INVALID_FORMAT', ['virtualServers', 0, 'realServers', 0, 'checkers', 0, 'payload']],
    ['negative duration', withChecker({ type: 'TCP_CHECK', connectTimeoutMs: -1 }), 'SHAPE_TOO_SMALL', ['virtualServers', 0, 'realServers', 0, 'checkers', 0, 'connectTimeoutMs']],
  ])('%s', (_name, input, code, path) => {
    const issues = issuesOf(input);
    expect(issues).toContainEqual(expect.objectContaining({ code, path, severity: 'error' }));
  });

  it('reports every problem at once, each with a message', () => {
    const issues = issuesOf(withInstance({ virtualRouterId: 0, priority: 300, bogus: 1 }));
    expect(issues.map((i) => i.code).sort()).toEqual(['SHAPE_TOO_BIG', 'SHAPE_TOO_SMALL', 'SHAPE_UNRECOGNIZED_KEYS']);
    for (const i of issues) expect(i.message.length).toBeGreaterThan(5);
  });

  it('rejects non-objects', () => {
    expect(issuesOf(null)[0]).toMatchObject({ code: 'SHAPE_INVALID_TYPE', path: [] });
    expect(issuesOf('version: 1')[0]).toMatchObject({ code: 'SHAPE_INVALID_TYPE', path: [] });
  });
});

describe('formatSpecPath', () => {
  it('renders dotted paths with indices and quoted odd keys', () => {
    expect(formatSpecPath(['vrrpInstances', 'VI_1', 'directors', 'lb1', 'priority'])).toBe('vrrpInstances.VI_1.directors.lb1.priority');
    expect(formatSpecPath(['virtualServers', 0, 'realServers', 2, 'port'])).toBe('virtualServers[0].realServers[2].port');
    expect(formatSpecPath(['directors', 'lb-1.example'])).toBe('directors["lb-1.example"]');
  });
});
