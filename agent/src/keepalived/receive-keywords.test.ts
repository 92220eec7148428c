/**
 * The keepalived keywords that shape the VRRP receive path (vrrp/RECEIVE.md), from a
 * keepalived.conf through `vigil check`'s pipeline (parse, convert, fleet rules) to the plan the
 * runtime executes: what each one becomes, and the configurations Vigil refuses or warns about
 * because they would make it drop a peer's adverts.
 */
import { describe, expect, it } from 'vitest';
import { resolveDirectorConfig } from '#schema/spec/resolve.ts';
import { planInstance } from '../runtime/plan.ts';
import { convertToSpec } from './convert.ts';
import { memoryConfigFs } from './fs.ts';
import { parseKeepalivedConf } from './parser.ts';

function check(text: string) {
  const parsed = parseKeepalivedConf({ text }, { file: '/etc/keepalived/keepalived.conf', fs: memoryConfigFs({}) });
  const converted = convertToSpec(parsed.tree, { file: '/etc/keepalived/keepalived.conf' });
  const diagnostics = [...parsed.diagnostics, ...converted.diagnostics];
  // Fleet rules come back as 'spec-invalid' with their code in brackets at the end of the message.
  const code = (d: (typeof diagnostics)[number]) => (d.code === 'spec-invalid' ? /\[([A-Z0-9_]+)\]$/.exec(d.message)?.[1] ?? d.code : d.code);
  const brief = diagnostics.filter((d) => d.severity !== 'info').map((d) => `${d.severity}:${code(d)}:${d.line}`);
  const plan = () => planInstance(resolveDirectorConfig(converted.validSpec!, converted.director).instances.VI_1!);
  return { diagnostics, brief, plan, converted };
}

const instance = (body: string, global = '') => `global_defs {\n  router_id lb1\n${global}}\nvrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 54\n  priority 150\n${body}\n  virtual_ipaddress {\n    192.0.2.120/24\n  }\n}\n`;
const unicast = (peers: string, extra = '') => instance(`  version 3\n  unicast_src_ip 192.0.2.1\n  unicast_peer {\n${peers}\n  }\n${extra}`);

describe('receive keywords in a keepalived.conf', () => {
  it('a multicast instance: its group (mcast_dst_ip) is what its socket joins and the one destination accepted', () => {
    const { brief, plan } = check(instance('  version 3\n  mcast_dst_ip 224.0.0.19'));
    expect(brief).toEqual([]);
    const p = plan();
    expect(p.socket).toMatchObject({ multicast: true, group: '224.0.0.19' });
    expect(p.receive).toMatchObject({ group: '224.0.0.19', v3Ipv4Checksum: 'pseudo', skipCheckAdvAddr: false });
    expect(p.receive.unicastPeers).toBeUndefined();
  });

  it('unicast_peer with min_ttl/max_ttl, unicast_ttl, v3_checksum_as_v2 and skip_check_adv_addr reach the receive checks and the sender', () => {
    const { brief, plan } = check(unicast('    192.0.2.2 min_ttl 60 max_ttl 64\n    192.0.2.3 max_ttl 64', '  unicast_ttl 64\n  v3_checksum_as_v2\n  skip_check_adv_addr'));
    expect(brief).toEqual([]);
    const p = plan();
    expect(p.sendTtl).toBe(64);
    expect(p.v3ChecksumAsV2).toBe(true);
    expect(p.receive).toMatchObject({
      unicastPeers: [{ address: '192.0.2.2', minTtl: 60, maxTtl: 64 }, { address: '192.0.2.3', maxTtl: 64 }],
      v3Ipv4Checksum: 'plain',
      skipCheckAdvAddr: true,
    });
    expect(p.receive.group).toBeUndefined();
  });

  it('v3_checksum_as_v2 in global_defs applies to every VRRPv3 IPv4 instance; "v3_checksum_as_v2 false" on one turns it off', () => {
    expect(check(instance('  version 3', '  v3_checksum_as_v2\n')).plan().receive.v3Ipv4Checksum).toBe('plain');
    expect(check(instance('  version 3\n  v3_checksum_as_v2 false', '  v3_checksum_as_v2\n')).plan().receive.v3Ipv4Checksum).toBe('pseudo');
    // VRRPv2 has no pseudo-header to leave out.
    expect(check(instance('  version 2', '  v3_checksum_as_v2\n')).plan().v3ChecksumAsV2).toBe(false);
  });

  it('vrrp_skip_check_adv_addr in global_defs applies unless the instance says otherwise', () => {
    expect(check(instance('', '  vrrp_skip_check_adv_addr\n')).plan().receive.skipCheckAdvAddr).toBe(true);
    expect(check(instance('  skip_check_adv_addr off', '  vrrp_skip_check_adv_addr\n')).plan().receive.skipCheckAdvAddr).toBe(false);
  });

  it('unicast_ttl below 255 while a peer accepts only 255: an error at the unicast_ttl line (every advert would be dropped)', () => {
    const { brief, diagnostics } = check(unicast('    192.0.2.2', '  unicast_ttl 64'));
    expect(brief).toEqual(['error:FLEET_UNICAST_TTL_DROPPED:13']);
    expect(diagnostics.find((d) => d.message.includes('FLEET_UNICAST_TTL_DROPPED'))!.hint).toContain('min_ttl');
  });

  it('min_ttl above max_ttl: an error at the peer line', () => {
    expect(check(unicast('    192.0.2.2 min_ttl 200 max_ttl 100')).brief).toEqual(['error:FLEET_UNICAST_TTL_RANGE_EMPTY:11']);
  });

  it('IPv6 unicast without unicast_ttl: a warning (keepalived 2.2 peers send hop limit 64)', () => {
    const text = instance('  version 3\n  unicast_src_ip 2001:db8::1\n  unicast_peer {\n    2001:db8::2\n  }').replace('192.0.2.120/24', '2001:db8::120/64');
    expect(check(text).brief).toEqual(['warning:FLEET_UNICAST_IPV6_HOP_LIMIT:10']);
    expect(check(text.replace('  unicast_peer {', '  unicast_ttl 255\n  unicast_peer {')).brief).toEqual([]);
  });

  it('auth_type AH is refused: Vigil could verify no advert of it', () => {
    const { brief } = check(instance('  version 2\n  authentication {\n    auth_type AH\n    auth_pass secret\n  }'));
    expect(brief).toEqual(['error:FLEET_AUTH_AH_UNSUPPORTED:10']);
  });

  it('old_unicast_checksum never is what Vigil does (accepted silently); the bare keyword is an error', () => {
    expect(check(unicast('    192.0.2.2', '  old_unicast_checksum never')).brief).toEqual([]);
    expect(check(unicast('    192.0.2.2', '  old_unicast_checksum')).brief).toEqual(['error:unsupported:13']);
  });

  it('check_unicast_src and vrrp_check_unicast_src are accepted: Vigil always checks the source', () => {
    expect(check(unicast('    192.0.2.2', '  check_unicast_src')).brief).toEqual([]);
  });
});
