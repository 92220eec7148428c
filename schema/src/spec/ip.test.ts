import { describe, expect, it } from 'vitest';
import { canonicalIp, ipFamily, isIpv6LinkLocal, isMulticastIp, parseIp, parseIpPrefix } from './ip.ts';

describe('parseIp', () => {
  it.each([
    ['192.0.2.10', 'inet', '192.0.2.10'],
    ['0.0.0.0', 'inet', '0.0.0.0'],
    ['255.255.255.255', 'inet', '255.255.255.255'],
    ['2001:DB8::1', 'inet6', '2001:db8::1'],
    ['2001:db8:0:0:0:0:0:1', 'inet6', '2001:db8::1'],
    ['::', 'inet6', '::'],
    ['::1', 'inet6', '::1'],
    ['fe80::', 'inet6', 'fe80::'],
    ['2001:db8:0:1:0:0:0:1', 'inet6', '2001:db8:0:1::1'],
    ['2001:0:0:1:0:0:0:1', 'inet6', '2001:0:0:1::1'],
    ['1:0:2:3:4:5:6:7', 'inet6', '1:0:2:3:4:5:6:7'],
    ['::ffff:192.0.2.1', 'inet6', '::ffff:c000:201'],
    ['64:ff9b:0:0:0:0:192.0.2.1', 'inet6', '64:ff9b::c000:201'],
  ])('accepts %s', (text, family, canonical) => {
    expect(parseIp(text)).toMatchObject({ family, canonical });
  });

  it.each([
    '', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.4 ', 'a.b.c.d',
    '1::2::3', '12345::', ':::', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', 'g::1', '::1/64', 'fe80::1%eth0',
    '::ffff:1.2.3', '1:2:3:4:5:6:7:1.2.3.4',
  ])('rejects %j', (text) => {
    expect(parseIp(text)).toBeUndefined();
  });
});

describe('parseIpPrefix', () => {
  it('reads the prefix length and checks it against the family', () => {
    expect(parseIpPrefix('10.0.0.1/24')).toMatchObject({ canonical: '10.0.0.1', prefixLength: 24 });
    expect(parseIpPrefix('10.0.0.1')).toMatchObject({ prefixLength: undefined });
    expect(parseIpPrefix('2001:db8::/64')).toMatchObject({ canonical: '2001:db8::', prefixLength: 64 });
    expect(parseIpPrefix('10.0.0.1/33')).toBeUndefined();
    expect(parseIpPrefix('2001:db8::/129')).toBeUndefined();
    expect(parseIpPrefix('10.0.0.1/')).toBeUndefined();
    expect(parseIpPrefix('10.0.0.1/2a')).toBeUndefined();
  });

  it('canonicalIp drops the prefix and normalises spelling', () => {
    expect(canonicalIp('2001:DB8:0::1/64')).toBe('2001:db8::1');
    expect(canonicalIp('192.0.2.1/24')).toBe('192.0.2.1');
  });

  it('canonicalIp and ipFamily answer as the parser does, asked again and past their memory (4,096 texts)', () => {
    const texts = ['2001:DB8:0::1/64', '10.0.0.01', 'bogus', '10.0.0.1/33', '::ffff:192.0.2.1'];
    for (let i = 0; i < 10_000; i++) texts.push(i % 3 ? `10.${(i >> 8) & 255}.${i & 255}.${i % 7}/24` : `2001:db8::${i.toString(16)}`);
    for (let round = 0; round < 3; round++) {
      for (const t of texts) {
        const p = parseIpPrefix(t);
        expect(canonicalIp(t)).toBe(p?.canonical ?? t);
        expect(ipFamily(t)).toBe(p?.family);
      }
    }
  });

  it('classifies link-local and multicast', () => {
    expect(isIpv6LinkLocal('fe80::1/64')).toBe(true);
    expect(isIpv6LinkLocal('febf::1')).toBe(true);
    expect(isIpv6LinkLocal('fec0::1')).toBe(false);
    expect(isMulticastIp('224.0.0.18')).toBe(true);
    expect(isMulticastIp('ff02::12')).toBe(true);
    expect(isMulticastIp('192.0.2.1')).toBe(false);
  });
});
