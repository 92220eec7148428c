import { describe, expect, it } from 'vitest';
import { buildGarp, buildUnsolicitedNa, macBytes, parseArp, parseNeighborAdvert } from './announce-packets.ts';
import { ipv6String } from './ip-text.ts';

describe('announcement packets', () => {
  it('builds a gratuitous ARP request: sender IP = target IP, target MAC zero (RFC 5227 §2.3)', () => {
    const b = buildGarp('192.0.2.10', '02:00:00:00:00:01');
    expect(Buffer.from(b).toString('hex')).toBe(
      '0001' + '0800' + '06' + '04' + '0001' + '020000000001' + 'c000020a' + '000000000000' + 'c000020a',
    );
    expect(parseArp(b)).toEqual({ op: 1, senderMac: '02:00:00:00:00:01', senderIp: '192.0.2.10', targetMac: '00:00:00:00:00:00', targetIp: '192.0.2.10' });
  });

  it('builds an unsolicited NA: type 136, Override set, Solicited clear, TLLA option', () => {
    const b = buildUnsolicitedNa('2001:db8::10', '00:00:5e:00:02:07', false);
    expect(b).toHaveLength(32);
    expect(Buffer.from(b.subarray(0, 8)).toString('hex')).toBe('8800000020000000');
    expect(Buffer.from(b.subarray(24)).toString('hex')).toBe('020100005e000207');
    const na = parseNeighborAdvert(b);
    expect(na).toMatchObject({ router: false, solicited: false, override: true, targetMac: '00:00:5e:00:02:07' });
    expect(ipv6String(na!.target)).toBe('2001:db8::10');
    expect(parseNeighborAdvert(buildUnsolicitedNa('2001:db8::10', '00:00:5e:00:02:07', true))?.router).toBe(true);
  });

  it('rejects what is not an ARP or NA, and malformed MACs', () => {
    expect(parseArp(new Uint8Array(27))).toBeUndefined();
    expect(parseNeighborAdvert(Uint8Array.from([135, 0, 0, 0, ...new Array(28).fill(0)]))).toBeUndefined();
    expect(() => macBytes('00:11:22:33:44')).toThrow(/invalid MAC address/);
    expect(() => buildGarp('2001:db8::1', '02:00:00:00:00:01')).toThrow(/invalid IPv4/);
  });
});
