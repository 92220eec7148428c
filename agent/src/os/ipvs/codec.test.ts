import { describe, expect, it } from 'vitest';
import { NO_FLAGS, type Destination, type Service } from '../../lb/model.ts';
import { attr, nested, parseAttrs, u16, u32, be16 } from './attrs.ts';
import { destinationAttr, destinationKeyAttr, parseDestination, parseInfo, parseService, serviceAttr, serviceKeyAttr } from './codec.ts';

const hex = (b: Buffer) => b.toString('hex');

describe('netlink attributes', () => {
  it('pads to 4 bytes, keeps the unpadded length, sets NLA_F_NESTED', () => {
    expect(hex(attr(6, Buffer.from('rr\0')))).toBe('0700060072720000');
    expect(hex(u16(1, 10))).toBe('060001000a000000');
    expect(hex(be16(4, 80))).toBe('0600040000500000');
    expect(hex(nested(1, [u32(5, 7)]))).toBe('0c000180' + '0800050007000000');
    expect([...parseAttrs(Buffer.concat([u16(1, 2), u32(5, 9)])).keys()]).toEqual([1, 5]);
  });

  it('a truncated attribute is an error, not a silent short read', () => {
    expect(() => parseAttrs(Buffer.from('0800010002', 'hex'))).toThrow(/bad length/);
  });
});

describe('IPVS codec', () => {
  const svc: Service = {
    key: { kind: 'address', family: 'inet', protocol: 'UDP', address: '192.0.2.1', port: 53 },
    scheduler: 'sh', flags: { ...NO_FLAGS, sched1: true, onePacket: true }, persistence: { timeoutSec: 300, netmaskPrefix: 24 },
    persistenceEngine: 'sip', destinations: [],
  };

  it('service identity: AF, protocol, 16-byte address, big-endian port', () => {
    const inner = parseAttrs(parseAttrs(serviceKeyAttr(svc.key)).get(1)!);
    expect(inner.get(1)!.readUInt16LE()).toBe(2);
    expect(inner.get(2)!.readUInt16LE()).toBe(17);
    expect(hex(inner.get(3)!)).toBe('c0000201' + '00'.repeat(12));
    expect(hex(inner.get(4)!)).toBe('0035');
  });

  it('full service: flags + mask, timeout, IPv4 netmask as be32, IPv6 netmask as a host-order prefix', () => {
    const inner = parseAttrs(parseAttrs(serviceAttr(svc)).get(1)!);
    expect(inner.get(6)!.toString()).toBe('sh\0');
    expect(inner.get(7)!.readUInt32LE(0)).toBe(0x1 | 0x4 | 0x8);
    expect(inner.get(7)!.readUInt32LE(4)).toBe(0xffffffff);
    expect(inner.get(8)!.readUInt32LE()).toBe(300);
    expect(hex(inner.get(9)!)).toBe('ffffff00');
    expect(inner.get(11)!.toString()).toBe('sip\0');
    const v6 = parseAttrs(parseAttrs(serviceAttr({ ...svc, key: { kind: 'fwmark', family: 'inet6', fwmark: 9 }, persistence: { timeoutSec: 1, netmaskPrefix: 64 } })).get(1)!);
    expect(v6.get(5)!.readUInt32LE()).toBe(9);
    expect(v6.has(3)).toBe(false);
    expect(v6.get(9)!.readUInt32LE()).toBe(64);
  });

  it('a service reply parses back to the same service (HASHED ignored, stats64 preferred)', () => {
    const inner = Buffer.from(parseAttrs(serviceAttr(svc)).get(1)!);
    const flags = parseAttrs(inner).get(7)!;
    flags.writeUInt32LE(flags.readUInt32LE(0) | 0x2, 0); // the kernel adds IP_VS_SVC_F_HASHED
    const stats64 = Buffer.alloc(8);
    stats64.writeBigUInt64LE(12345n);
    const reply = nested(1, [inner, nested(12, [attr(1, stats64)])]);
    const { destinations: _d, stats, ...back } = parseService(reply);
    const { destinations: _w, ...want } = svc;
    expect(back).toEqual(want);
    expect(stats.conns).toBe(12345);
  });

  it('destinations round-trip: NAT, DR, TUN gue with port and csum, mixed family', () => {
    const dests: Destination[] = [
      { family: 'inet', address: '10.0.0.1', port: 8080, method: 'NAT', weight: 3, upperThreshold: 10, lowerThreshold: 5 },
      { family: 'inet', address: '10.0.0.2', port: 0, method: 'DR', weight: 0, upperThreshold: 0, lowerThreshold: 0 },
      { family: 'inet6', address: '2001:db8::2', port: 80, method: 'TUN', tunnel: { type: 'gue', port: 6080, checksum: 'remcsum' }, weight: 1, upperThreshold: 0, lowerThreshold: 0 },
    ];
    for (const want of dests) {
      const back = parseDestination(destinationAttr(want), 'inet');
      const { activeConns: _a, inactiveConns: _i, persistentConns: _p, stats: _s, ...d } = back;
      expect(d).toEqual(want);
    }
    const key = parseAttrs(parseAttrs(destinationKeyAttr(dests[0]!)).get(2)!);
    expect([...key.keys()]).toEqual([1, 2, 11]);
  });

  it('GET_INFO version', () => {
    expect(parseInfo(Buffer.concat([u32(1, 0x010201), u32(2, 4096)]))).toEqual({ version: '1.2.1', connTableSize: 4096 });
  });

  it('an address that is not an IP is a programmer error', () => {
    expect(() => serviceKeyAttr({ kind: 'address', family: 'inet', protocol: 'TCP', address: 'vip.example', port: 1 })).toThrow(/not an IP/);
  });
});
