import { describe, expect, it } from 'vitest';
import { familyOf, ipBytes, ipString, ipv4Broadcast, ipv4Bytes, ipv6Bytes, ipv6String } from './ip-text.ts';

describe('ip-text', () => {
  it('parses IPv4 and rejects malformed text', () => {
    expect([...ipv4Bytes('192.0.2.255')]).toEqual([192, 0, 2, 255]);
    for (const bad of ['192.0.2', '192.0.2.256', '1.2.3.4.5', 'a.b.c.d', '']) expect(() => ipv4Bytes(bad)).toThrow(/invalid IPv4/);
  });

  it('parses every IPv6 text form', () => {
    expect(Buffer.from(ipv6Bytes('::')).toString('hex')).toBe('0'.repeat(32));
    expect(Buffer.from(ipv6Bytes('::1')).toString('hex')).toBe(`${'0'.repeat(31)}1`);
    expect(Buffer.from(ipv6Bytes('fe80::1%eth0')).toString('hex')).toBe(`fe80${'0'.repeat(27)}1`);
    expect(Buffer.from(ipv6Bytes('2001:db8:0:0:1:0:0:1')).toString('hex')).toBe('20010db8000000000001000000000001');
    expect(Buffer.from(ipv6Bytes('::ffff:192.0.2.1')).toString('hex')).toBe('00000000000000000000ffffc0000201');
    expect(Buffer.from(ipv6Bytes('64:ff9b::192.0.2.1')).toString('hex')).toBe('0064ff9b0000000000000000c0000201');
    for (const bad of ['1::2::3', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', 'g::1', '12345::']) expect(() => ipv6Bytes(bad)).toThrow(/invalid IPv6/);
  });

  it('formats IPv6 per RFC 5952 (longest zero run, leftmost on ties, no single-group ::)', () => {
    expect(ipv6String(ipv6Bytes('2001:DB8:0:0:1:0:0:1'))).toBe('2001:db8::1:0:0:1');
    expect(ipv6String(ipv6Bytes('2001:db8:0:1:1:1:1:1'))).toBe('2001:db8:0:1:1:1:1:1');
    expect(ipv6String(ipv6Bytes('0:0:0:0:0:0:0:0'))).toBe('::');
    expect(ipv6String(ipv6Bytes('fe80:0:0:0:0:0:0:1'))).toBe('fe80::1');
    expect(ipv6String(ipv6Bytes('1:0:0:2:0:0:0:3'))).toBe('1:0:0:2::3');
  });

  it('knows families, round-trips, and computes broadcasts', () => {
    expect(familyOf('192.0.2.1')).toBe(4);
    expect(familyOf('ff02::12')).toBe(6);
    expect(() => familyOf('nonsense')).toThrow();
    expect(ipString(ipv4Bytes('10.1.2.3'))).toBe('10.1.2.3');
    expect(ipv4Broadcast('192.0.2.77', 26)).toBe('192.0.2.127');
    expect(ipv4Broadcast('192.0.2.77', 32)).toBe('192.0.2.77');
    expect(ipv4Broadcast('10.0.0.1', 8)).toBe('10.255.255.255');
  });
});

describe('one IP parser', () => {
  it('the schema, the VRRP core and the shell agree: a leading zero is no address anywhere', async () => {
    const { parseIp } = await import('../../../schema/src/spec/ip.ts');
    const { parseAddress } = await import('../vrrp/addr.ts');
    for (const bad of ['10.0.0.01', '010.0.0.1', '1.2.3', '1.2.3.4.5', '256.0.0.1', '2001:db8:::1', 'fe80::1::2']) {
      const fam = bad.includes(':') ? 'ipv6' : 'ipv4';
      expect(parseIp(bad), bad).toBeUndefined();
      expect(parseAddress(fam, bad), bad).toBeNull();
      expect(() => ipBytes(bad), bad).toThrow(/invalid IPv[46] address/);
    }
    for (const good of ['10.0.0.1', '2001:DB8:0::1', '::ffff:192.0.2.1', 'fe80::1%eth0']) {
      const fam = good.includes(':') ? 'ipv6' : 'ipv4';
      expect(ipString(ipBytes(good))).toBe(parseIp(good.split('%')[0]!)!.canonical);
      expect(parseAddress(fam, good)).toEqual(ipBytes(good));
    }
  });
});
