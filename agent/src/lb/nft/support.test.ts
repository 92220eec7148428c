import { describe, expect, it } from 'vitest';
import { NO_FLAGS, type Scheduler } from '../model.ts';
import { dest, service, tcp } from './fixtures.ts';
import { checkNftSupport, liveShares } from './support.ts';

describe('checkNftSupport', () => {
  it('accepts NAT with rr, wrr, sh, dh, fo, persistence, fwmark and IPv6', () => {
    const services = (['rr', 'wrr', 'sh', 'dh', 'fo'] as Scheduler[]).map((scheduler, i) =>
      service(tcp(`10.0.0.${i + 1}`, 80), [dest('10.0.1.1', 8080, 3), dest('10.0.1.2', 8080, 0)], { scheduler, persistence: { timeoutSec: 300, netmaskPrefix: 24 } }));
    services.push(service({ kind: 'fwmark', family: 'inet6', fwmark: 5 }, [dest('2001:db8::10', 0)], { flags: { ...NO_FLAGS, sched1: true, sched2: true } }));
    expect(checkNftSupport({ services })).toEqual([]);
  });

  it('rejects DR and TUN with the field path and what to do, never rewriting them to NAT', () => {
    const t = { services: [service(tcp('10.0.0.1', 80), [dest('10.0.1.1', 80), dest('10.0.1.2', 80, 1, { method: 'DR' }), dest('10.0.1.3', 80, 1, { method: 'TUN', tunnel: { type: 'ipip', port: 0, checksum: 'nocsum' } })])] };
    const p = checkNftSupport(t);
    expect(p).toHaveLength(2);
    expect(p[0]).toMatch(/^services\[0\] \(TCP 10\.0\.0\.1:80\)\.destinations\[1\] \(10\.0\.1\.2:80\)\.method: DR is not possible with nftables .*use lvs_method NAT .* or IPVS$/);
    expect(p[1]).toMatch(/^services\[0\] \(TCP 10\.0\.0\.1:80\)\.destinations\[2\] \(10\.0\.1\.3:80\)\.method: TUN is not possible/);
  });

  it('least-connection schedulers only with the explicit approximation; lblc/lblcr/mh/ovf/twos never', () => {
    const t = (scheduler: Scheduler) => ({ services: [service(tcp('10.0.0.1', 80), [dest('10.0.1.1', 80)], { scheduler })] });
    for (const s of ['lc', 'wlc', 'sed', 'nq'] as Scheduler[]) {
      expect(checkNftSupport(t(s))).toEqual([expect.stringMatching(new RegExp(`^services\\[0\\] \\(TCP 10.0.0.1:80\\)\\.scheduler: ${s} picks by live connection counts.*approximateLeastConnection`))]);
      expect(checkNftSupport(t(s), { approximateLeastConnection: true })).toEqual([]);
    }
    for (const s of ['lblc', 'lblcr', 'mh', 'ovf', 'twos'] as Scheduler[]) {
      expect(checkNftSupport(t(s), { approximateLeastConnection: true })).toEqual([expect.stringMatching(new RegExp(`\\.scheduler: ${s} cannot be built with nftables`))]);
    }
  });

  it('rejects one-packet scheduling, persistence engines, thresholds, cross-family NAT and duplicates', () => {
    const svc = service(tcp('10.0.0.1', 80), [dest('10.0.1.1', 80, 1, { upperThreshold: 100 }), dest('2001:db8::1', 80), dest('10.0.1.1', 80)], { flags: { ...NO_FLAGS, onePacket: true }, persistenceEngine: 'sip' });
    const p = checkNftSupport({ services: [svc, service(tcp('10.0.0.1', 80), [])] });
    expect(p).toHaveLength(6);
    expect(p.join('\n')).toContain('services[0] (TCP 10.0.0.1:80).flags.onePacket: one-packet scheduling');
    expect(p.join('\n')).toContain('services[0] (TCP 10.0.0.1:80).persistenceEngine: persistence engine "sip"');
    expect(p.join('\n')).toContain('services[0] (TCP 10.0.0.1:80).destinations[0] (10.0.1.1:80).upperThreshold/lowerThreshold');
    expect(p.join('\n')).toContain('services[0] (TCP 10.0.0.1:80).destinations[1] ([2001:db8::1]:80).family: inet6 destination for a inet service');
    expect(p.join('\n')).toContain('services[0] (TCP 10.0.0.1:80).destinations[2] (10.0.1.1:80): the destination appears twice');
    expect(p.join('\n')).toContain('services[1] (TCP 10.0.0.1:80): the service appears twice');
  });

  it('checks the modulus after dividing by the common divisor', () => {
    const big = 0x7fffffff;
    expect(checkNftSupport({ services: [service(tcp('10.0.0.1', 80), [dest('10.0.1.1', 80, big), dest('10.0.1.2', 80, big), dest('10.0.1.3', 80, big)])] })).toEqual([]);
    expect(checkNftSupport({ services: [service(tcp('10.0.0.1', 80), [dest('10.0.1.1', 80, big), dest('10.0.1.2', 80, big - 1), dest('10.0.1.3', 80, 5)])] }))
      .toEqual([expect.stringMatching(/\.destinations: total weight \d+ .*exceeds 4294967295/)]);
  });
});

describe('liveShares', () => {
  it('drops weight 0, divides by the gcd, and ignores weights for rr', () => {
    const ds = [dest('10.0.1.1', 80, 3), dest('10.0.1.2', 80, 0), dest('10.0.1.3', 80, 9), dest('10.0.1.4', 80, 6)];
    expect(liveShares({ scheduler: 'wrr', destinations: ds }).map((s) => [s.destination.address, s.share])).toEqual([['10.0.1.1', 1], ['10.0.1.3', 3], ['10.0.1.4', 2]]);
    expect(liveShares({ scheduler: 'rr', destinations: ds }).map((s) => s.share)).toEqual([1, 1, 1]);
  });
});
