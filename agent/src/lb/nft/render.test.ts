import { describe, expect, it } from 'vitest';
import { NO_FLAGS, type VirtualServerTable } from '../model.ts';
import { dest, service, tcp } from './fixtures.ts';
import { prefixMask, renderNft } from './render.ts';

const unfingerprinted = (s: string) => s.replace(/fingerprint [0-9a-f]{16}/, 'fingerprint X');
const lines = (s: string) => s.split('\n').map((l) => l.trim());

describe('renderNft', () => {
  it('golden: a fresh table in one transaction, weighted random over live servers, weight 0 left out, empty service rejected', () => {
    const r = renderNft({ services: [
      service(tcp('203.0.113.10', 80), [dest('192.0.2.3', 8080, 1), dest('192.0.2.4', 8080, 2), dest('192.0.2.5', 8080, 3), dest('192.0.2.6', 8080, 0)]),
      service(tcp('203.0.113.11', 80), [dest('192.0.2.6', 8080, 0)]),
    ] });
    expect(unfingerprinted(r.script)).toBe(`# Vigil load balancing (nftables data plane). Generated; one transaction rewrites this table.
add table inet vigil_lb { comment "managed by vigil: IPVS-style load balancing; do not edit"; }
add chain inet vigil_lb prerouting { type nat hook prerouting priority dstnat; policy accept; }
add chain inet vigil_lb output { type nat hook output priority -100; policy accept; }
add chain inet vigil_lb input { type filter hook input priority filter; policy accept; }
table inet vigil_lb {
	chain prerouting {
		counter comment "vigil-lb fingerprint X"
		jump dispatch
	}
	chain output {
		jump dispatch
	}
	chain input {
		ip daddr 203.0.113.11 tcp dport 80 reject with icmpx port-unreachable
	}
	chain dispatch {
		ip daddr 203.0.113.10 tcp dport 80 goto s_tcp_203_0_113_10_80
	}
	chain s_tcp_203_0_113_10_80 {
		comment "TCP 203.0.113.10:80 wrr"
		numgen random mod 6 < 1 goto d_tcp_203_0_113_10_80__192_0_2_3_8080
		numgen random mod 5 < 2 goto d_tcp_203_0_113_10_80__192_0_2_4_8080
		goto d_tcp_203_0_113_10_80__192_0_2_5_8080
	}
	chain d_tcp_203_0_113_10_80__192_0_2_3_8080 {
		meta l4proto tcp counter dnat ip to 192.0.2.3:8080 comment "TCP 203.0.113.10:80 -> 192.0.2.3:8080 weight 1"
	}
	chain d_tcp_203_0_113_10_80__192_0_2_4_8080 {
		meta l4proto tcp counter dnat ip to 192.0.2.4:8080 comment "TCP 203.0.113.10:80 -> 192.0.2.4:8080 weight 2"
	}
	chain d_tcp_203_0_113_10_80__192_0_2_5_8080 {
		meta l4proto tcp counter dnat ip to 192.0.2.5:8080 comment "TCP 203.0.113.10:80 -> 192.0.2.5:8080 weight 3"
	}
}
`);
    expect(r.script).toContain(`counter comment "vigil-lb fingerprint ${r.fingerprint}"`);
    expect(r.layout.services.map((s) => [s.id, s.live.map((d) => `${d.id}/${d.share}`)])).toEqual([
      ['TCP 203.0.113.10:80', ['192.0.2.3:8080/1', '192.0.2.4:8080/2', '192.0.2.5:8080/3']],
      ['TCP 203.0.113.11:80', []],
    ]);
  });

  it('weights are divided by their gcd; each rule draws over the shares not yet passed; one live server is a plain goto', () => {
    const r = renderNft({ services: [
      service(tcp('10.0.0.1', 80), [dest('10.0.1.1', 80, 30), dest('10.0.1.2', 80, 10), dest('10.0.1.3', 80, 20)]),
      service(tcp('10.0.0.2', 80), [dest('10.0.1.1', 80, 5), dest('10.0.1.2', 80, 0)]),
    ] });
    const chain = (c: string) => lines(r.script.slice(r.script.indexOf(`chain ${c} {`), r.script.indexOf('\t}', r.script.indexOf(`chain ${c} {`)))).slice(2, -1);
    // 30/10/20 -> 3/1/2: P = 3/6, then 1/3 of the other 3/6, then the rest.
    expect(chain('s_tcp_10_0_0_1_80')).toEqual([
      'numgen random mod 6 < 3 goto d_tcp_10_0_0_1_80__10_0_1_1_80',
      'numgen random mod 3 < 1 goto d_tcp_10_0_0_1_80__10_0_1_2_80',
      'goto d_tcp_10_0_0_1_80__10_0_1_3_80',
    ]);
    expect(chain('s_tcp_10_0_0_2_80')).toEqual(['goto d_tcp_10_0_0_2_80__10_0_1_1_80']);
    expect(r.script).not.toContain('d_tcp_10_0_0_2_80__10_0_1_2_80');
  });

  it('schedulers: rr rotates over live servers ignoring weight, sh/dh hash (sh-port adds the source port), fo takes the first highest weight', () => {
    const ds = [dest('10.0.1.1', 80, 2), dest('10.0.1.2', 80, 4), dest('10.0.1.3', 80, 4)];
    const r = renderNft({ services: [
      service(tcp('10.0.0.1', 80), ds, { scheduler: 'rr' }),
      service(tcp('10.0.0.2', 80), ds, { scheduler: 'sh' }),
      service(tcp('10.0.0.3', 80), ds, { scheduler: 'sh', flags: { ...NO_FLAGS, sched2: true } }),
      service(tcp('10.0.0.4', 80), ds, { scheduler: 'dh' }),
      service(tcp('10.0.0.5', 80), ds, { scheduler: 'fo' }),
    ] });
    const l = lines(r.script);
    const d = (svc: number, rs: number) => `d_tcp_10_0_0_${svc}_80__10_0_1_${rs}_80`;
    // Each rule counts the flows that reach it: 1 of 3, then 1 of the 2 left, then the rest.
    expect(l).toEqual(expect.arrayContaining([`numgen inc mod 3 0 goto ${d(1, 1)}`, `numgen inc mod 2 0 goto ${d(1, 2)}`, `goto ${d(1, 3)}`]));
    expect(l).toEqual(expect.arrayContaining([`jhash ip saddr mod 5 0 goto ${d(2, 1)}`, `jhash ip saddr mod 5 1-2 goto ${d(2, 2)}`, `goto ${d(2, 3)}`]));
    expect(l).toContain(`jhash ip saddr . th sport mod 5 0 goto ${d(3, 1)}`);
    expect(l).toContain(`jhash ip daddr mod 5 1-2 goto ${d(4, 2)}`);
    expect(l).toContain(`goto ${d(5, 2)}`);
    expect(l).not.toContain(`goto ${d(5, 1)}`);
    // No anonymous sets/maps on the packet path (render.ts: they are not generation-safe).
    expect(r.script.slice(r.script.indexOf('\ntable inet'))).not.toMatch(/vmap| \{ [^}\n]* \}/);
  });

  it('least-connection schedulers render only with the opt-in, as weighted random (lc unweighted)', () => {
    const t: VirtualServerTable = { services: [service(tcp('10.0.0.1', 80), [dest('10.0.1.1', 80, 1), dest('10.0.1.2', 80, 3)], { scheduler: 'wlc' }),
      service(tcp('10.0.0.2', 80), [dest('10.0.1.1', 80, 1), dest('10.0.1.2', 80, 3)], { scheduler: 'lc' })] };
    expect(() => renderNft(t)).toThrow(/services\[0\] \(TCP 10.0.0.1:80\)\.scheduler: wlc picks by live connection counts/);
    const l = lines(renderNft(t, { approximateLeastConnection: true }).script);
    expect(l).toContain('numgen random mod 4 < 1 goto d_tcp_10_0_0_1_80__10_0_1_1_80');
    expect(l).toContain('numgen random mod 2 < 1 goto d_tcp_10_0_0_2_80__10_0_1_1_80');
  });

  it('persistence: a timeout set per destination, looked up before the pick and refreshed on the way out; granularity masks the client', () => {
    const r = renderNft({ services: [service(tcp('10.0.0.1', 443), [dest('10.0.1.1', 443), dest('10.0.1.2', 443)], { persistence: { timeoutSec: 360, netmaskPrefix: 24 } })] }, { persistenceSetSize: 1000 });
    const l = lines(r.script);
    expect(r.script).toContain('\tset p24t360z1000_tcp_10_0_0_1_443__10_0_1_1_443 {\n\t\ttype ipv4_addr\n\t\tsize 1000\n\t\tflags dynamic,timeout\n\t\ttimeout 360s\n\t}');
    const chain = r.script.slice(r.script.indexOf('chain s_tcp_10_0_0_1_443 {'));
    expect(lines(chain).slice(1, 5)).toEqual([
      'comment "TCP 10.0.0.1:443 wrr"',
      'ip saddr & 255.255.255.0 @p24t360z1000_tcp_10_0_0_1_443__10_0_1_1_443 goto d_tcp_10_0_0_1_443__10_0_1_1_443',
      'ip saddr & 255.255.255.0 @p24t360z1000_tcp_10_0_0_1_443__10_0_1_2_443 goto d_tcp_10_0_0_1_443__10_0_1_2_443',
      'numgen random mod 2 < 1 goto d_tcp_10_0_0_1_443__10_0_1_1_443',
    ]);
    expect(l).toContain('update @p24t360z1000_tcp_10_0_0_1_443__10_0_1_2_443 { ip saddr & 255.255.255.0 }');
    const full = renderNft({ services: [service(tcp('10.0.0.1', 443), [dest('10.0.1.1', 443)], { persistence: { timeoutSec: 60, netmaskPrefix: 32 } })] });
    expect(lines(full.script)).toContain('ip saddr @p32t60_tcp_10_0_0_1_443__10_0_1_1_443 goto d_tcp_10_0_0_1_443__10_0_1_1_443');
    expect(full.layout.services[0]!.live[0]!.set).toBe('p32t60_tcp_10_0_0_1_443__10_0_1_1_443');
  });

  it('IPv6: ip6 matches, bracketed DNAT targets, a /64 persistence mask, a port-0 service matched by VIP and protocol', () => {
    const r = renderNft({ services: [
      service(tcp('2001:db8::10', 80), [dest('2001:db8:1::1', 8080, 1), dest('2001:db8:1::2', 8080, 1)]),
      service({ kind: 'address', family: 'inet6', protocol: 'UDP', address: '2001:db8::10', port: 0 }, [dest('2001:db8:1::1', 0)], { persistence: { timeoutSec: 30, netmaskPrefix: 64 } }),
    ] });
    const l = lines(r.script);
    expect(l).toContain('ip6 daddr 2001:db8::10 tcp dport 80 goto s_tcp_2001_db8__10_80');
    expect(l).toContain('ip6 daddr 2001:db8::10 meta l4proto udp goto s_udp_2001_db8__10_0');
    expect(l).toContain('meta l4proto tcp counter dnat ip6 to [2001:db8:1::1]:8080 comment "TCP [2001:db8::10]:80 -> [2001:db8:1::1]:8080 weight 1"');
    expect(l).toContain('update @p64t30_udp_2001_db8__10_0__2001_db8_1__1_0 { ip6 saddr & ffff:ffff:ffff:ffff:: }');
    expect(l).toContain('counter dnat ip6 to 2001:db8:1::1 comment "UDP [2001:db8::10]:0 -> [2001:db8:1::1]:0 weight 1"');
  });

  it('fwmark services per family, dispatched before VIP services (ip_vs_service_find order); a port is mapped for any transport', () => {
    const r = renderNft({ services: [
      service(tcp('10.0.0.1', 80), [dest('10.0.1.1', 80)]),
      service({ kind: 'fwmark', family: 'inet', fwmark: 7 }, [dest('10.0.1.1', 0), dest('10.0.1.2', 0, 0)]),
      service({ kind: 'fwmark', family: 'inet6', fwmark: 7 }, [dest('2001:db8:1::1', 443)]),
      service({ kind: 'fwmark', family: 'inet', fwmark: 9 }, []),
    ] });
    const from = r.script.indexOf('chain dispatch {');
    const dispatch = lines(r.script.slice(from, r.script.indexOf('\t}', from)));
    expect(dispatch.slice(1, 4)).toEqual([
      'meta nfproto ipv4 meta mark 7 goto s_fwm4_7',
      'meta nfproto ipv6 meta mark 7 goto s_fwm6_7',
      'ip daddr 10.0.0.1 tcp dport 80 goto s_tcp_10_0_0_1_80',
    ]);
    const l = lines(r.script);
    expect(l).toContain('counter dnat ip to 10.0.1.1 comment "FWM 7 inet -> 10.0.1.1:0 weight 1"');
    for (const p of ['tcp', 'udp', 'sctp']) expect(l).toContain(`meta l4proto ${p} counter dnat ip6 to [2001:db8:1::1]:443 comment "FWM 7 inet6 -> [2001:db8:1::1]:443 weight 1"`);
    expect(r.script.slice(r.script.indexOf('\ntable inet'))).not.toMatch(/vmap| \{ [^}\n]* \}/);
    expect(l).toContain('meta nfproto ipv4 meta mark 9 reject with icmpx port-unreachable');
  });

  it('an empty table is still a valid table (hooks, no services)', () => {
    const r = renderNft({ services: [] }, { tableName: 'lb_test' });
    expect(r.script).toContain('add table inet lb_test { comment');
    expect(r.script).toContain('\tchain dispatch {\n\t}');
    expect(() => renderNft({ services: [] }, { tableName: 'bad name; flush ruleset' })).toThrow(/table name/);
  });

  it('rewrites an existing table in place: base chains flushed, never re-created; other chains flushed then deleted; sets that stay untouched', () => {
    const t = (w: number): VirtualServerTable => ({ services: [service(tcp('10.0.0.1', 80), [dest('10.0.1.1', 80, 1), dest('10.0.1.2', 80, w)], { persistence: { timeoutSec: 100, netmaskPrefix: 32 } })] });
    const keep = 'p32t100_tcp_10_0_0_1_80__10_0_1_1_80';
    const stale = 'p32t100_tcp_10_0_0_1_80__10_0_1_2_80';
    const existing = { chains: ['prerouting', 'output', 'input', 'dispatch', 's_tcp_10_0_0_1_80', 'd_tcp_10_0_0_1_80__10_0_1_1_80', 'd_tcp_10_0_0_1_80__10_0_1_2_80'], sets: [keep, stale], maps: ['junk'] };
    const r = renderNft(t(0), {}, existing);
    expect(r.mode).toBe('in-place');
    const head = r.script.slice(0, r.script.indexOf('\ntable inet vigil_lb {'));
    expect(head.split('\n').slice(1)).toEqual([
      'add table inet vigil_lb { comment "managed by vigil: IPVS-style load balancing; do not edit"; }',
      'flush chain inet vigil_lb prerouting',
      'flush chain inet vigil_lb output',
      'flush chain inet vigil_lb input',
      'flush chain inet vigil_lb dispatch',
      'flush chain inet vigil_lb s_tcp_10_0_0_1_80',
      'flush chain inet vigil_lb d_tcp_10_0_0_1_80__10_0_1_1_80',
      'flush chain inet vigil_lb d_tcp_10_0_0_1_80__10_0_1_2_80',
      'delete chain inet vigil_lb dispatch',
      'delete chain inet vigil_lb s_tcp_10_0_0_1_80',
      'delete chain inet vigil_lb d_tcp_10_0_0_1_80__10_0_1_1_80',
      'delete chain inet vigil_lb d_tcp_10_0_0_1_80__10_0_1_2_80',
      'delete map inet vigil_lb junk',
      `delete set inet vigil_lb ${stale}`,
      'add chain inet vigil_lb prerouting { type nat hook prerouting priority dstnat; policy accept; }',
      'add chain inet vigil_lb output { type nat hook output priority -100; policy accept; }',
      'add chain inet vigil_lb input { type filter hook input priority filter; policy accept; }',
    ]);
    expect(r.script).not.toContain('delete chain inet vigil_lb prerouting');
    expect(r.script).toContain(`\tset ${keep} {`); // an identical `add set` leaves its clients alone
  });

  it('the fingerprint follows the ruleset only, not what the rewrite cleans up', () => {
    const t = (w: number): VirtualServerTable => ({ services: [service(tcp('10.0.0.1', 80), [dest('10.0.1.1', 80, 1), dest('10.0.1.2', 80, w)])] });
    expect(renderNft(t(2)).fingerprint).toBe(renderNft(t(2)).fingerprint);
    expect(renderNft(t(3)).fingerprint).not.toBe(renderNft(t(2)).fingerprint);
    expect(renderNft(t(2), {}, { chains: ['prerouting', 'x'], sets: ['y'], maps: [] }).fingerprint).toBe(renderNft(t(2)).fingerprint);
  });

  it('re-creates the table on request, or when it holds a name that cannot go into a script', () => {
    const t: VirtualServerTable = { services: [service(tcp('10.0.0.1', 80), [dest('10.0.1.1', 80)])] };
    const odd = renderNft(t, {}, { chains: ['prerouting', 'bad name; flush ruleset'], sets: [], maps: [] });
    expect(odd.mode).toBe('recreate');
    expect(odd.script).not.toContain('flush ruleset');
    expect(odd.script.split('\n').slice(1, 4)).toEqual([
      'add table inet vigil_lb { comment "managed by vigil: IPVS-style load balancing; do not edit"; }',
      'delete table inet vigil_lb',
      'add table inet vigil_lb { comment "managed by vigil: IPVS-style load balancing; do not edit"; }',
    ]);
    expect(renderNft(t, {}, { chains: ['prerouting'], sets: [], maps: [] }, true).mode).toBe('recreate');
  });
});

describe('prefixMask', () => {
  it('IPv4 dotted and IPv6 compressed masks', () => {
    expect([prefixMask('inet', 24), prefixMask('inet', 0), prefixMask('inet', 17)]).toEqual(['255.255.255.0', '0.0.0.0', '255.255.128.0']);
    expect([prefixMask('inet6', 64), prefixMask('inet6', 127), prefixMask('inet6', 1)]).toEqual(['ffff:ffff:ffff:ffff::', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe', '8000::']);
  });
});
