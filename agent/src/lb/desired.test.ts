import { describe, expect, it } from 'vitest';
import { ClusterSpec } from '#schema';
import { desiredTable, expandAddresses, realServerKey } from './desired.ts';

function spec(virtualServers: unknown[], virtualServerGroups: Record<string, unknown> = {}) {
  return ClusterSpec.parse({ version: 1, virtualServers, virtualServerGroups });
}
function table(s: ClusterSpec, health = new Map<string, boolean>(), previousQuorum?: Map<string, boolean>) {
  return desiredTable({ virtualServers: s.virtualServers, virtualServerGroups: s.virtualServerGroups, health, previousQuorum });
}

const VS = 'TCP 10.0.0.1:80';

describe('desiredTable', () => {
  it('maps a virtual server: canonical addresses, defaults, real-server port from the service', () => {
    const s = spec([{ address: '2001:DB8::0:1', port: 443, protocol: 'TCP', scheduler: 'sh', schedulerFlags: ['sh-fallback', 'sh-port', 'ops'],
      persistenceTimeoutMs: 600_000, persistenceGranularity: 64,
      realServers: [{ address: '2001:db8::10', weight: 3, upperThreshold: 9, lowerThreshold: 2 }, { address: '2001:db8::11', port: 8443, method: 'DR' }] }]);
    expect(table(s).table.services).toEqual([{
      key: { kind: 'address', family: 'inet6', protocol: 'TCP', address: '2001:db8::1', port: 443 },
      scheduler: 'sh', flags: { onePacket: true, sched1: true, sched2: true, sched3: false },
      persistence: { timeoutSec: 600, netmaskPrefix: 64 },
      destinations: [
        { family: 'inet6', address: '2001:db8::10', port: 443, method: 'NAT', weight: 3, upperThreshold: 9, lowerThreshold: 2 },
        { family: 'inet6', address: '2001:db8::11', port: 8443, method: 'DR', weight: 1, upperThreshold: 0, lowerThreshold: 0 },
      ],
    }]);
  });

  it('IPv4 granularity mask becomes a prefix length; TUN gets its tunnel (default ipip)', () => {
    const s = spec([{ fwmark: 7, method: 'TUN', tunnel: { type: 'gue', port: 6080, checksum: 'csum' }, persistenceTimeoutMs: 60_000, persistenceGranularity: '255.255.255.0',
      realServers: [{ address: '10.0.0.5' }, { address: '10.0.0.6', tunnel: { type: 'gre' } }] }]);
    const [svc] = table(s).table.services;
    expect(svc!.key).toEqual({ kind: 'fwmark', family: 'inet', fwmark: 7 });
    expect(svc!.persistence).toEqual({ timeoutSec: 60, netmaskPrefix: 24 });
    expect(svc!.destinations.map((d) => [d.port, d.tunnel])).toEqual([[0, { type: 'gue', port: 6080, checksum: 'csum' }], [0, { type: 'gre', port: 0, checksum: 'nocsum' }]]);
  });

  it('a failed real server leaves; inhibit_on_failure keeps it at weight 0', () => {
    const s = spec([{ address: '10.0.0.1', port: 80, quorum: 0, realServers: [{ address: '10.0.1.1' }, { address: '10.0.1.2', inhibitOnFailure: true }, { address: '10.0.1.3' }] }]);
    const health = new Map([[realServerKey(s.virtualServers, 0, 0), false], [realServerKey(s.virtualServers, 0, 1), false]]);
    expect(table(s, health).table.services[0]!.destinations.map((d) => `${d.address}/${d.weight}`)).toEqual(['10.0.1.2/0', '10.0.1.3/1']);
  });

  it('quorum lost with a sorry server: only the sorry server; hysteresis holds the state', () => {
    const s = spec([{ address: '10.0.0.1', port: 80, quorum: 3, hysteresis: 1, sorryServer: { address: '10.0.9.9', port: 8080 },
      realServers: [{ address: '10.0.1.1', weight: 2 }, { address: '10.0.1.2', weight: 1 }, { address: '10.0.1.3', weight: 1 }] }]);
    const down3 = new Map([[realServerKey(s.virtualServers, 0, 2), false]]); // live weight 3
    expect(table(s, down3).quorum.get(VS)).toBe(true);
    // Up until live weight < quorum - hysteresis (2); down until live weight >= quorum + hysteresis (4).
    const down23 = new Map([[realServerKey(s.virtualServers, 0, 1), false], [realServerKey(s.virtualServers, 0, 2), false]]); // live weight 2
    expect(table(s, down23).quorum.get(VS)).toBe(true);
    const lost = table(s, new Map([[realServerKey(s.virtualServers, 0, 0), false], [realServerKey(s.virtualServers, 0, 1), false]])); // live 1
    expect(lost.quorum.get(VS)).toBe(false);
    expect(lost.table.services[0]!.destinations.map((d) => `${d.address}:${d.port}`)).toEqual(['10.0.9.9:8080']);
    expect(table(s, down3, new Map([[VS, false]])).quorum.get(VS)).toBe(false);
    expect(table(s, new Map(), new Map([[VS, false]])).quorum.get(VS)).toBe(true);
  });

  it('sorry_server_inhibit keeps the sorry server at weight 0 while the quorum holds', () => {
    const s = spec([{ address: '10.0.0.1', port: 80, sorryServer: { address: '10.0.9.9', inhibit: true }, realServers: [{ address: '10.0.1.1' }] }]);
    expect(table(s).table.services[0]!.destinations.map((d) => `${d.address}:${d.port}/${d.weight}`)).toEqual(['10.0.1.1:80/1', '10.0.9.9:80/0']);
  });

  it('a group expands to one service per member; a service named twice is reported', () => {
    const s = spec([{ group: 'g', realServers: [{ address: '10.0.1.1', port: 80 }] }, { address: '10.0.0.2', port: 80 }],
      { g: { members: [{ address: '10.0.0.1-2', port: 80 }, { fwmark: 4, family: 'inet6' }] } });
    const r = table(s);
    expect(r.table.services.map((x) => x.key.kind === 'fwmark' ? `FWM ${x.key.fwmark} ${x.key.family}` : `${x.key.address}:${x.key.port}`)).toEqual(['10.0.0.1:80', '10.0.0.2:80', 'FWM 4 inet6']);
    expect(r.duplicates).toEqual(['TCP 10.0.0.2:80']);
  });
});

describe('desiredTable problems', () => {
  it('a NAT real server of the other family is left out and named; through TUN it stays', () => {
    const s = spec([{ address: '10.0.0.1', port: 80, realServers: [{ address: '2001:db8::1' }, { address: '2001:db8::2', method: 'TUN' }, { address: '10.0.1.1' }] }]);
    const r = table(s);
    expect(r.table.services[0]!.destinations.map((d) => d.address)).toEqual(['2001:db8::2', '10.0.1.1']);
    expect(r.problems).toEqual(['virtualServers[0].realServers[0]: 2001:db8::1 is inet6 but TCP 10.0.0.1:80 is inet; IPVS forwards across address families only with lvs_method TUN']);
  });

  it('a fwmark service without ip_family takes its real servers\' family', () => {
    const s = spec([{ fwmark: 3, realServers: [{ address: '2001:db8::1' }] }]);
    expect(table(s).table.services[0]!.key).toEqual({ kind: 'fwmark', family: 'inet6', fwmark: 3 });
  });

  it('an over-large group member is cut at MAX_GROUP_EXPANSION and named', () => {
    const s = spec([{ group: 'big', realServers: [] }], { big: { members: [{ address: '10.0.0.0/8', port: 80 }] } });
    const r = table(s);
    expect(r.table.services).toHaveLength(4096);
    expect(r.problems[0]).toMatch(/^virtualServers\[0\]: group "big" member 10.0.0.0\/8 covers more than 4096 addresses/);
  });
});

describe('expandAddresses', () => {
  it.each([
    ['10.0.0.1', ['10.0.0.1']],
    ['10.0.0.254-255', ['10.0.0.254', '10.0.0.255']],
    ['10.0.0.8/30', ['10.0.0.8', '10.0.0.9', '10.0.0.10', '10.0.0.11']],
    ['2001:db8::fe-101', ['2001:db8::fe', '2001:db8::ff', '2001:db8::100', '2001:db8::101']],
    ['2001:db8::/127', ['2001:db8::', '2001:db8::1']],
    ['10.0.0.5-4', []],
  ])('%s', (text, want) => {
    expect(expandAddresses(text).map((a) => a.canonical)).toEqual(want);
  });
});
