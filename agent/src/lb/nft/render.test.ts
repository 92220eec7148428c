import { describe, expect, it } from 'vitest';
import { NO_FLAGS, type VirtualServerTable } from '../model.ts';
import { dest, service, tcp } from './fixtures.ts';
import { prefixMask, renderNft } from './render.ts';

const unfingerprinted = (s: string) => s.replace(/fingerprint [0-9a-f]{16}/, 'fingerprint X');
const lines = (s: string) => s.split('\n').map((l) => l.trim());

describe('renderNft', () => {
  it('golden: one atomic transaction, weighted map over live servers, weight 0 left out, empty service rejected', () => {
    const r = renderNft({ services: [
      service(tcp('203.0.113.10', 80), [dest('192.0.2.3', 8080, 1), dest('192.0.2.4', 8080, 2), dest('192.0.2.5', 8080, 3), dest('192.0.2.6', 8080, 0)]),
      service(tcp('203.0.113.11', 80), [dest('192.0.2.6', 8080, 0)]),
    ] });
    expect(unfingerprinted(r.script)).toBe(`# Vigil load balancing (nftables data plane). Generated; every apply replaces this table.
add table inet vigil_lb
delete table inet vigil_lb
table inet vigil_lb {
	comment "managed by vigil: IPVS-style load balancing; do not edit"
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		counter comment "vigil-lb fingerprint X"
		jump dispatch
	}
	chain output {
		type nat hook output priority -100; policy accept;
		jump dispatch
	}
	chain dispatch {
		ip daddr . meta l4proto . th dport vmap { 203.0.113.10 . tcp . 80 : goto s_tcp_203_0_113_10_80 }
	}
	chain input {
		type filter hook input priority filter; policy accept;
		ip daddr . meta l4proto . th dport { 203.0.113.11 . tcp . 80 } reject with icmpx port-unreachable
	}
	chain s_tcp_203_0_113_10_80 {
		comment "TCP 203.0.113.10:80 wrr"
		numgen random mod 6 vmap { 0 : goto d_tcp_203_0_113_10_80__192_0_2_3_8080, 1-2 : goto d_tcp_203_0_113_10_80__192_0_2_4_8080, 3-5 : goto d_tcp_203_0_113_10_80__192_0_2_5_8080 }
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

  it('weights are divided by their gcd into contiguous ranges; one live server is a plain goto', () => {
    const r = renderNft({ services: [
      service(tcp('10.0.0.1', 80), [dest('10.0.1.1', 80, 30), dest('10.0.1.2', 80, 10), dest('10.0.1.3', 80, 20)]),
      service(tcp('10.0.0.2', 80), [dest('10.0.1.1', 80, 5), dest('10.0.1.2', 80, 0)]),
    ] });
    expect(r.script).toContain('numgen random mod 6 vmap { 0-2 : goto d_tcp_10_0_0_1_80__10_0_1_1_80, 3 : goto d_tcp_10_0_0_1_80__10_0_1_2_80, 4-5 : goto d_tcp_10_0_0_1_80__10_0_1_3_80 }');
    expect(lines(r.script)).toContain('goto d_tcp_10_0_0_2_80__10_0_1_1_80');
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
    expect(l).toContain('numgen inc mod 3 vmap { 0 : goto d_tcp_10_0_0_1_80__10_0_1_1_80, 1 : goto d_tcp_10_0_0_1_80__10_0_1_2_80, 2 : goto d_tcp_10_0_0_1_80__10_0_1_3_80 }');
    expect(l).toContain('jhash ip saddr mod 5 vmap { 0 : goto d_tcp_10_0_0_2_80__10_0_1_1_80, 1-2 : goto d_tcp_10_0_0_2_80__10_0_1_2_80, 3-4 : goto d_tcp_10_0_0_2_80__10_0_1_3_80 }');
    expect(l.some((x) => x.startsWith('jhash ip saddr . th sport mod 5 vmap { 0 : goto d_tcp_10_0_0_3_80__'))).toBe(true);
    expect(l.some((x) => x.startsWith('jhash ip daddr mod 5 vmap {'))).toBe(true);
    expect(l).toContain('goto d_tcp_10_0_0_5_80__10_0_1_2_80');
  });

  it('least-connection schedulers render only with the opt-in, as weighted random (lc unweighted)', () => {
    const t: VirtualServerTable = { services: [service(tcp('10.0.0.1', 80), [dest('10.0.1.1', 80, 1), dest('10.0.1.2', 80, 3)], { scheduler: 'wlc' }),
      service(tcp('10.0.0.2', 80), [dest('10.0.1.1', 80, 1), dest('10.0.1.2', 80, 3)], { scheduler: 'lc' })] };
    expect(() => renderNft(t)).toThrow(/services\[0\] \(TCP 10.0.0.1:80\)\.scheduler: wlc picks by live connection counts/);
    const l = lines(renderNft(t, { approximateLeastConnection: true }).script);
    expect(l).toContain('numgen random mod 4 vmap { 0 : goto d_tcp_10_0_0_1_80__10_0_1_1_80, 1-3 : goto d_tcp_10_0_0_1_80__10_0_1_2_80 }');
    expect(l).toContain('numgen random mod 2 vmap { 0 : goto d_tcp_10_0_0_2_80__10_0_1_1_80, 1 : goto d_tcp_10_0_0_2_80__10_0_1_2_80 }');
  });

  it('persistence: a timeout set per destination, looked up before the pick and refreshed on the way out; granularity masks the client', () => {
    const r = renderNft({ services: [service(tcp('10.0.0.1', 443), [dest('10.0.1.1', 443), dest('10.0.1.2', 443)], { persistence: { timeoutSec: 360, netmaskPrefix: 24 } })] }, { persistenceSetSize: 1000 });
    const l = lines(r.script);
    expect(r.script).toContain('\tset p24_tcp_10_0_0_1_443__10_0_1_1_443 {\n\t\ttype ipv4_addr\n\t\tsize 1000\n\t\tflags dynamic,timeout\n\t\ttimeout 360s\n\t}');
    const chain = r.script.slice(r.script.indexOf('chain s_tcp_10_0_0_1_443 {'));
    expect(lines(chain).slice(1, 5)).toEqual([
      'comment "TCP 10.0.0.1:443 wrr"',
      'ip saddr & 255.255.255.0 @p24_tcp_10_0_0_1_443__10_0_1_1_443 goto d_tcp_10_0_0_1_443__10_0_1_1_443',
      'ip saddr & 255.255.255.0 @p24_tcp_10_0_0_1_443__10_0_1_2_443 goto d_tcp_10_0_0_1_443__10_0_1_2_443',
      'numgen random mod 2 vmap { 0 : goto d_tcp_10_0_0_1_443__10_0_1_1_443, 1 : goto d_tcp_10_0_0_1_443__10_0_1_2_443 }',
    ]);
    expect(l).toContain('update @p24_tcp_10_0_0_1_443__10_0_1_2_443 { ip saddr & 255.255.255.0 }');
    const full = renderNft({ services: [service(tcp('10.0.0.1', 443), [dest('10.0.1.1', 443)], { persistence: { timeoutSec: 60, netmaskPrefix: 32 } })] });
    expect(lines(full.script)).toContain('ip saddr @p32_tcp_10_0_0_1_443__10_0_1_1_443 goto d_tcp_10_0_0_1_443__10_0_1_1_443');
    expect(full.layout.services[0]!.live[0]!.set).toBe('p32_tcp_10_0_0_1_443__10_0_1_1_443');
  });

  it('IPv6: ip6 matches, bracketed DNAT targets, a /64 persistence mask, a port-0 service matched by VIP and protocol', () => {
    const r = renderNft({ services: [
      service(tcp('2001:db8::10', 80), [dest('2001:db8:1::1', 8080, 1), dest('2001:db8:1::2', 8080, 1)]),
      service({ kind: 'address', family: 'inet6', protocol: 'UDP', address: '2001:db8::10', port: 0 }, [dest('2001:db8:1::1', 0)], { persistence: { timeoutSec: 30, netmaskPrefix: 64 } }),
    ] });
    const l = lines(r.script);
    expect(l).toContain('ip6 daddr . meta l4proto . th dport vmap { 2001:db8::10 . tcp . 80 : goto s_tcp_2001_db8__10_80 }');
    expect(l).toContain('ip6 daddr . meta l4proto vmap { 2001:db8::10 . udp : goto s_udp_2001_db8__10_0 }');
    expect(l).toContain('meta l4proto tcp counter dnat ip6 to [2001:db8:1::1]:8080 comment "TCP [2001:db8::10]:80 -> [2001:db8:1::1]:8080 weight 1"');
    expect(l).toContain('update @p64_udp_2001_db8__10_0__2001_db8_1__1_0 { ip6 saddr & ffff:ffff:ffff:ffff:: }');
    expect(l).toContain('counter dnat ip6 to 2001:db8:1::1 comment "UDP [2001:db8::10]:0 -> [2001:db8:1::1]:0 weight 1"');
  });

  it('fwmark services per family, dispatched before VIP services (ip_vs_service_find order); a port is mapped for any transport', () => {
    const r = renderNft({ services: [
      service(tcp('10.0.0.1', 80), [dest('10.0.1.1', 80)]),
      service({ kind: 'fwmark', family: 'inet', fwmark: 7 }, [dest('10.0.1.1', 0), dest('10.0.1.2', 0, 0)]),
      service({ kind: 'fwmark', family: 'inet6', fwmark: 7 }, [dest('2001:db8:1::1', 443)]),
      service({ kind: 'fwmark', family: 'inet', fwmark: 9 }, []),
    ] });
    const dispatch = lines(r.script.slice(r.script.indexOf('chain dispatch {'), r.script.indexOf('chain input {')));
    expect(dispatch.slice(1, 4)).toEqual([
      'meta nfproto ipv4 meta mark vmap { 7 : goto s_fwm4_7 }',
      'meta nfproto ipv6 meta mark vmap { 7 : goto s_fwm6_7 }',
      'ip daddr . meta l4proto . th dport vmap { 10.0.0.1 . tcp . 80 : goto s_tcp_10_0_0_1_80 }',
    ]);
    const l = lines(r.script);
    expect(l).toContain('counter dnat ip to 10.0.1.1 comment "FWM 7 inet -> 10.0.1.1:0 weight 1"');
    expect(l).toContain('meta l4proto { tcp, udp, sctp } counter dnat ip6 to [2001:db8:1::1]:443 comment "FWM 7 inet6 -> [2001:db8:1::1]:443 weight 1"');
    expect(l).toContain('meta nfproto ipv4 meta mark { 9 } reject with icmpx port-unreachable');
  });

  it('an empty table is still a valid table (hooks, no services)', () => {
    const r = renderNft({ services: [] }, { tableName: 'lb_test' });
    expect(r.script).toContain('add table inet lb_test\ndelete table inet lb_test\ntable inet lb_test {');
    expect(r.script).toContain('\tchain dispatch {\n\t}');
    expect(() => renderNft({ services: [] }, { tableName: 'bad name; flush ruleset' })).toThrow(/table name/);
  });

  it('the fingerprint follows the ruleset only: same table same print, a weight change a new one, carried clients none', () => {
    const t = (w: number): VirtualServerTable => ({ services: [service(tcp('10.0.0.1', 80), [dest('10.0.1.1', 80, 1), dest('10.0.1.2', 80, w)], { persistence: { timeoutSec: 100, netmaskPrefix: 32 } })] });
    const set = 'p32_tcp_10_0_0_1_80__10_0_1_2_80';
    expect(renderNft(t(2)).fingerprint).toBe(renderNft(t(2)).fingerprint);
    expect(renderNft(t(3)).fingerprint).not.toBe(renderNft(t(2)).fingerprint);
    expect(renderNft(t(2), {}, [{ set, key: '192.0.2.7', expiresSec: 50 }]).fingerprint).toBe(renderNft(t(2)).fingerprint);
  });

  it('carries persisted clients into sets the new table still has, clamped to the timeout, dropping the rest', () => {
    const t: VirtualServerTable = { services: [service(tcp('10.0.0.1', 80), [dest('10.0.1.1', 80, 1), dest('10.0.1.2', 80, 0)], { persistence: { timeoutSec: 100, netmaskPrefix: 32 } })] };
    const keep = 'p32_tcp_10_0_0_1_80__10_0_1_1_80';
    const r = renderNft(t, {}, [
      { set: keep, key: '192.0.2.7', expiresSec: 50 },
      { set: keep, key: '192.0.2.8', expiresSec: 500 },
      { set: keep, key: '192.0.2.9', expiresSec: 0 },
      { set: keep, key: '2001:db8::1', expiresSec: 50 },
      { set: keep, key: '1.2.3.4 } ; flush ruleset ; {', expiresSec: 50 },
      { set: 'p32_tcp_10_0_0_1_80__10_0_1_2_80', key: '192.0.2.10', expiresSec: 50 },
    ]);
    expect(r.carried).toBe(2);
    expect(r.script.trimEnd().split('\n').at(-1)).toBe(`add element inet vigil_lb ${keep} { 192.0.2.7 expires 50s, 192.0.2.8 expires 100s }`);
  });
});

describe('prefixMask', () => {
  it('IPv4 dotted and IPv6 compressed masks', () => {
    expect([prefixMask('inet', 24), prefixMask('inet', 0), prefixMask('inet', 17)]).toEqual(['255.255.255.0', '0.0.0.0', '255.255.128.0']);
    expect([prefixMask('inet6', 64), prefixMask('inet6', 127), prefixMask('inet6', 1)]).toEqual(['ffff:ffff:ffff:ffff::', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe', '8000::']);
  });
});
