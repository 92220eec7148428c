import { describe, expect, it } from 'vitest';
import { dest, service, tcp } from './fixtures.ts';
import { actualTable, existingOf, parseNftJson, verifyReadback } from './readback.ts';
import { renderNft } from './render.ts';

// Shapes as nft 1.0.6 prints them (`nft -j list table inet vigil_lb`), trimmed to what matters.
const desired = { services: [service(tcp('10.0.0.1', 443), [dest('10.0.1.1', 443, 1), dest('10.0.1.2', 443, 2)], { persistence: { timeoutSec: 300, netmaskPrefix: 24 } })] };
const rendered = renderNft(desired);
const json = (over: { fingerprint?: string; addr2?: string } = {}) => JSON.stringify({ nftables: [
  { metainfo: { version: '1.0.6', release_name: 'Lester Gooch #5', json_schema_version: 1 } },
  { table: { family: 'inet', name: 'vigil_lb', handle: 2 } },
  { set: { family: 'inet', name: 'p24t300_tcp_10_0_0_1_443__10_0_1_1_443', table: 'vigil_lb', type: 'ipv4_addr', handle: 7, size: 1048576, flags: ['timeout'], timeout: 300 } },
  { set: { family: 'inet', name: 'p24t300_tcp_10_0_0_1_443__10_0_1_2_443', table: 'vigil_lb', type: 'ipv4_addr', handle: 8, size: 1048576, flags: ['timeout'], timeout: 300,
    elem: [{ elem: { val: '198.51.100.0', expires: 29 } }, { elem: { val: '198.51.101.0', expires: 280 } }] } },
  ...['prerouting', 's_tcp_10_0_0_1_443', 'd_tcp_10_0_0_1_443__10_0_1_1_443', 'd_tcp_10_0_0_1_443__10_0_1_2_443'].map((name) => ({ chain: { family: 'inet', table: 'vigil_lb', name, handle: 1 } })),
  { rule: { family: 'inet', table: 'vigil_lb', chain: 'prerouting', handle: 25, comment: `vigil-lb fingerprint ${over.fingerprint ?? rendered.fingerprint}`, expr: [{ counter: { packets: 12, bytes: 720 } }] } },
  { rule: { family: 'inet', table: 'vigil_lb', chain: 'prerouting', handle: 26, expr: [{ jump: { target: 'dispatch' } }] } },
  { rule: { family: 'inet', table: 'vigil_lb', chain: 'd_tcp_10_0_0_1_443__10_0_1_1_443', handle: 56, expr: [{ set: { op: 'update', elem: { '&': [{ payload: { protocol: 'ip', field: 'saddr' } }, '255.255.255.0'] }, set: '@p24t300_tcp_10_0_0_1_443__10_0_1_1_443' } }] } },
  { rule: { family: 'inet', table: 'vigil_lb', chain: 'd_tcp_10_0_0_1_443__10_0_1_1_443', handle: 57, comment: 'TCP 10.0.0.1:443 -> 10.0.1.1:443 weight 1',
    expr: [{ match: { op: '==', left: { meta: { key: 'l4proto' } }, right: 'tcp' } }, { counter: { packets: 4, bytes: 240 } }, { dnat: { family: 'ip', addr: '10.0.1.1', port: 443 } }] } },
  { rule: { family: 'inet', table: 'vigil_lb', chain: 'd_tcp_10_0_0_1_443__10_0_1_2_443', handle: 59, comment: 'TCP 10.0.0.1:443 -> 10.0.1.2:443 weight 2',
    expr: [{ match: { op: '==', left: { meta: { key: 'l4proto' } }, right: 'tcp' } }, { counter: { packets: 8, bytes: 480 } }, { dnat: { family: 'ip', addr: over.addr2 ?? '10.0.1.2', port: 443 } }] } },
] });

describe('nft JSON read-back', () => {
  it('parses fingerprint, chains, DNAT targets, counters and persistence entries', () => {
    const r = parseNftJson(json());
    expect(r.fingerprint).toBe(rendered.fingerprint);
    expect(r.flowsSeen).toBe(12);
    expect(r.rules.get('d_tcp_10_0_0_1_443__10_0_1_2_443')!.at(-1)).toEqual({ comment: 'TCP 10.0.0.1:443 -> 10.0.1.2:443 weight 2', packets: 8, dnat: { family: 'ip', addr: '10.0.1.2', port: 443 } });
    expect(r.sets.get('p24t300_tcp_10_0_0_1_443__10_0_1_2_443')).toEqual([{ key: '198.51.100.0', expiresSec: 29 }, { key: '198.51.101.0', expiresSec: 280 }]);
    expect(existingOf(r)).toEqual({
      chains: ['prerouting', 's_tcp_10_0_0_1_443', 'd_tcp_10_0_0_1_443__10_0_1_1_443', 'd_tcp_10_0_0_1_443__10_0_1_2_443'],
      sets: ['p24t300_tcp_10_0_0_1_443__10_0_1_1_443', 'p24t300_tcp_10_0_0_1_443__10_0_1_2_443'],
      maps: [],
    });
    expect(existingOf(undefined)).toBeUndefined();
    expect(() => parseNftJson('{"x":1}')).toThrow(/no "nftables" array/);
  });

  it('verifies against the layout: fingerprint, chains, DNAT targets, sets', () => {
    expect(verifyReadback(rendered.layout, rendered.fingerprint, parseNftJson(json()))).toEqual([]);
    expect(verifyReadback(rendered.layout, rendered.fingerprint, undefined)).toEqual(['table inet vigil_lb is absent']);
    expect(verifyReadback(rendered.layout, rendered.fingerprint, parseNftJson(json({ fingerprint: '0000000000000000', addr2: '10.0.1.9' })))).toEqual([
      `table inet vigil_lb holds ruleset 0000000000000000, expected ${rendered.fingerprint}`,
      'TCP 10.0.0.1:443 -> 10.0.1.2:443: chain d_tcp_10_0_0_1_443__10_0_1_2_443 DNATs to 10.0.1.9:443',
    ]);
  });

  it('gives the IPVS read-back shape: conns per destination from the DNAT counters, clients per persistence set', () => {
    const t = actualTable(desired, rendered.layout, parseNftJson(json()));
    expect(t.services[0]!.stats.conns).toBe(12);
    expect(t.services[0]!.destinations.map((d) => [d.address, d.weight, d.stats.conns, d.persistentConns])).toEqual([['10.0.1.1', 1, 4, 0], ['10.0.1.2', 2, 8, 2]]);
  });
});
