/**
 * The receive checks of RECEIVE.md, one rule at a time, on real encoded adverts. Each drop case
 * is built from an advert that passes, changed in the one way the rule is about, so a case can
 * only pass because that rule fired.
 */
import { describe, expect, it } from 'vitest';
import { computeChecksum, pseudoHeader } from './checksum.ts';
import { encodeAdvert, passAuthData, type Advert } from './packet.ts';
import { receiveAdvert, type ReceiveConfig, type RxMeta } from './validate.ts';

const V2: ReceiveConfig = {
  version: 2, family: 'ipv4', vrid: 51, priority: 150, advertIntervalMs: 1000, authType: 'pass', authPass: 'secret12',
  virtualAddresses: ['10.77.0.100', '10.77.0.101'], group: '224.0.0.18',
};
const V3: ReceiveConfig = { version: 3, family: 'ipv4', vrid: 52, priority: 100, advertIntervalMs: 100, authType: 'none', virtualAddresses: ['10.77.0.110'], group: '224.0.0.18' };
const V6: ReceiveConfig = { version: 3, family: 'ipv6', vrid: 53, priority: 100, advertIntervalMs: 1000, authType: 'none', virtualAddresses: ['fe80::53', '2001:db8::53'], group: 'ff02::12' };
const UNI: ReceiveConfig = { ...V3, group: undefined, unicastPeers: [{ address: '10.77.0.2' }, { address: '10.77.0.3', minTtl: 60, maxTtl: 64 }] };

const advertFor = (c: ReceiveConfig, over: Partial<Advert> = {}): Advert => ({
  version: c.version, family: c.family, vrid: c.vrid, priority: 254, advertIntervalMs: c.advertIntervalMs,
  addresses: [...c.virtualAddresses], authType: c.version === 2 ? c.authType : 'none',
  authData: c.version === 2 && c.authType === 'pass' ? passAuthData(c.authPass ?? '') : new Uint8Array(0), ...over,
});
const rxFor = (c: ReceiveConfig, over: Partial<RxMeta> = {}): RxMeta => ({
  ttl: 255, srcAddress: c.family === 'ipv4' ? '10.77.0.2' : 'fe80::2', dstAddress: c.group ?? '10.77.0.1', ...over,
});
/** Encodes `advert` for the packet `rx` describes (the v3 pseudo-header uses its addresses). */
const bytesFor = (a: Advert, rx: RxMeta, v3ChecksumAsV2 = false) => encodeAdvert(a, { srcAddress: rx.srcAddress, dstAddress: rx.dstAddress || '224.0.0.18', v3ChecksumAsV2 });
const run = (c: ReceiveConfig, over: Partial<Advert> = {}, rxOver: Partial<RxMeta> = {}) => {
  const rx = rxFor(c, rxOver);
  return receiveAdvert(bytesFor(advertFor(c, over), rx), rx, c);
};
const reason = (r: ReturnType<typeof receiveAdvert>) => (r.ok ? 'accepted' : r.reason);

describe('a valid advert is accepted', () => {
  it.each([['VRRPv2 PASS', V2], ['VRRPv3 IPv4', V3], ['VRRPv3 IPv6', V6]])('%s', (_n, c) => {
    const r = run(c);
    expect(r.ok).toBe(true);
    expect(r.ok && r.advert.priority).toBe(254);
  });
});

describe('TTL / hop limit 255 on every advert (RFC 5798 §7.1), whatever the destination', () => {
  it.each([254, 128, 64, 1, 0])('TTL %i to the group is dropped', (ttl) => {
    expect(reason(run(V2, {}, { ttl }))).toBe('ttl');
    expect(reason(run(V6, {}, { ttl }))).toBe('ttl');
  });

  it('issue 17: VRRPv2, TTL 254, to the master\'s own address, right password, priority 254: dropped on TTL', () => {
    expect(reason(run(V2, { priority: 254 }, { ttl: 254, dstAddress: '10.77.0.1' }))).toBe('ttl');
  });

  it('issue 17: a priority-0 advert with TTL 128 sent unicast to a backup: dropped on TTL', () => {
    expect(reason(run(V3, { priority: 0 }, { ttl: 128, dstAddress: '10.77.0.1' }))).toBe('ttl');
  });

  it('issue 17: VRRPv3 over IPv6 with hop limit 254 sent unicast: dropped on TTL', () => {
    expect(reason(run(V6, {}, { ttl: 254, dstAddress: '2001:db8::1' }))).toBe('ttl');
  });

  it('a TTL the kernel did not report (-1) or out of range is dropped, never assumed', () => {
    expect(reason(run(V6, {}, { ttl: -1 }))).toBe('ttl');
    expect(reason(run(V6, {}, { ttl: 256 }))).toBe('ttl');
    expect(reason(run(V6, {}, { ttl: 255.5 }))).toBe('ttl');
  });

  it('unicast: a listed peer without min_ttl/max_ttl must send 255 too (keepalived checks nothing here)', () => {
    expect(reason(run(UNI, {}, { srcAddress: '10.77.0.2', dstAddress: '10.77.0.1', ttl: 255 }))).toBe('accepted');
    expect(reason(run(UNI, {}, { srcAddress: '10.77.0.2', dstAddress: '10.77.0.1', ttl: 64 }))).toBe('ttl');
  });

  it('unicast: min_ttl/max_ttl on the peer\'s line is the only relaxation, and only for that peer', () => {
    for (const [ttl, want] of [[60, 'accepted'], [64, 'accepted'], [59, 'ttl'], [65, 'ttl'], [255, 'ttl']] as const) {
      expect(reason(run(UNI, {}, { srcAddress: '10.77.0.3', dstAddress: '10.77.0.1', ttl })), `TTL ${ttl}`).toBe(want);
    }
  });

  it('unicast: min_ttl alone means [min, 255], max_ttl alone [0, max] (keepalived\'s defaults)', () => {
    const only = (p: { minTtl?: number; maxTtl?: number }): ReceiveConfig => ({ ...UNI, unicastPeers: [{ address: '10.77.0.2', ...p }] });
    const at = (c: ReceiveConfig, ttl: number) => reason(run(c, {}, { dstAddress: '10.77.0.1', ttl }));
    expect([at(only({ minTtl: 200 }), 199), at(only({ minTtl: 200 }), 255)]).toEqual(['ttl', 'accepted']);
    expect([at(only({ maxTtl: 10 }), 0), at(only({ maxTtl: 10 }), 11)]).toEqual(['accepted', 'ttl']);
  });
});

describe('destination: the configuration decides, not the packet', () => {
  it.each([
    ['own address', '10.77.0.1'], ['subnet broadcast', '10.77.0.255'], ['limited broadcast', '255.255.255.255'], ['a VIP', '10.77.0.100'],
    ['another group', '224.0.0.1'],
  ])('multicast instance, TTL 255, sent to %s: dropped as not for the group', (_n, dstAddress) => {
    expect(reason(run(V2, {}, { dstAddress }))).toBe('dst');
  });

  it('IPv6 multicast instance: ff02::1, a link-local and a global unicast destination are dropped', () => {
    for (const dstAddress of ['ff02::1', 'fe80::1', '2001:db8::1']) expect(reason(run(V6, {}, { dstAddress })), dstAddress).toBe('dst');
  });

  it('mcast_dst_ip: the configured group is the only accepted destination', () => {
    const c: ReceiveConfig = { ...V3, group: '224.0.0.19' };
    expect(reason(run(c, {}, { dstAddress: '224.0.0.19' }))).toBe('accepted');
    expect(reason(run(c, {}, { dstAddress: '224.0.0.18' }))).toBe('dst');
  });

  it('group addresses compare canonically (FF02::12 is ff02::12)', () => {
    const rx = rxFor(V6, { dstAddress: 'FF02:0:0::12' });
    expect(receiveAdvert(bytesFor(advertFor(V6), rx), rx, V6).ok).toBe(true);
  });

  it('a destination the kernel did not report is dropped', () => {
    const rx = rxFor(V6, { dstAddress: '' });
    expect(reason(receiveAdvert(bytesFor(advertFor(V6), { ...rx, dstAddress: 'ff02::12' }), rx, V6))).toBe('dst');
  });

  it('unicast instance: a group-addressed packet is dropped (keepalived: "Expected unicast packet")', () => {
    expect(reason(run(UNI, {}, { dstAddress: '224.0.0.18' }))).toBe('dst');
  });

  it('unicast instance: only its own unicast address (keepalived binds its socket to unicast_src_ip)', () => {
    const c: ReceiveConfig = { ...UNI, unicastAddress: '10.77.0.1' };
    expect(reason(run(c, {}, { dstAddress: '10.77.0.1' }))).toBe('accepted');
    for (const dstAddress of ['10.77.0.255', '255.255.255.255', '10.77.0.100']) expect(reason(run(c, {}, { dstAddress })), dstAddress).toBe('dst');
  });
});

describe('unicast_peer: only listed peers (Vigil always does what keepalived\'s check_unicast_src does)', () => {
  it('an unlisted source is dropped before anything else, on-link TTL or not', () => {
    expect(reason(run(UNI, {}, { srcAddress: '10.77.0.9', dstAddress: '10.77.0.1' }))).toBe('unicast_src');
    expect(reason(run(UNI, {}, { srcAddress: '203.0.113.9', dstAddress: '10.77.0.1', ttl: 200 }))).toBe('unicast_src');
  });

  it('peers compare canonically (IPv6 spelling)', () => {
    const c: ReceiveConfig = { ...V6, group: undefined, unicastPeers: [{ address: '2001:DB8:0::2' }] };
    expect(reason(run(c, {}, { srcAddress: '2001:db8::2', dstAddress: '2001:db8::1' }))).toBe('accepted');
  });
});

describe('well formed (decode)', () => {
  it('trailing bytes are dropped even when the checksum covers them (keepalived: "vrrp packet too long")', () => {
    const rx = rxFor(V2);
    const good = bytesFor(advertFor(V2), rx);
    const longer = new Uint8Array(good.length + 4);
    longer.set(good);
    longer[6] = 0;
    longer[7] = 0;
    const sum = computeChecksum(longer);
    longer[6] = sum >> 8;
    longer[7] = sum & 0xff;
    expect(reason(receiveAdvert(longer, rx, V2))).toBe('length');
  });

  it('truncated and too-short packets are dropped as length', () => {
    const rx = rxFor(V3);
    const good = bytesFor(advertFor(V3), rx);
    expect(reason(receiveAdvert(good.subarray(0, good.length - 1), rx, V3))).toBe('length');
    expect(reason(receiveAdvert(good.subarray(0, 7), rx, V3))).toBe('length');
  });

  it('a count that does not match the length is dropped as length', () => {
    const rx = rxFor(V3);
    const b = bytesFor(advertFor(V3), rx);
    b[3] = 2;
    expect(reason(receiveAdvert(b, rx, V3))).toBe('length');
  });

  it('unknown version, non-advert type, VRRPv2 over IPv6', () => {
    const rx = rxFor(V3);
    const b = bytesFor(advertFor(V3), rx);
    expect(reason(receiveAdvert(Uint8Array.from(b, (x, i) => (i === 0 ? 0x41 : x)), rx, V3))).toBe('version');
    expect(reason(receiveAdvert(Uint8Array.from(b, (x, i) => (i === 0 ? 0x32 : x)), rx, V3))).toBe('type');
    const v2on6 = encodeAdvert({ ...advertFor(V2), version: 2 }, { srcAddress: '10.77.0.2', dstAddress: '224.0.0.18' });
    expect(reason(receiveAdvert(v2on6, rxFor(V6), V6))).toBe('version');
  });

  it('a flipped bit fails the checksum', () => {
    const rx = rxFor(V2);
    const b = bytesFor(advertFor(V2), rx);
    b[2]! ^= 0x01;
    expect(reason(receiveAdvert(b, rx, V2))).toBe('checksum');
  });
});

describe('VRRPv3 over IPv4: only the configured checksum form (v3_checksum_as_v2)', () => {
  const rx = rxFor(V3);
  const pseudo = bytesFor(advertFor(V3), rx);
  const plain = bytesFor(advertFor(V3), rx, true);

  it('default (RFC 5798, keepalived 2.2.7): the pseudo-header form only', () => {
    expect(reason(receiveAdvert(pseudo, rx, V3))).toBe('accepted');
    expect(reason(receiveAdvert(plain, rx, V3))).toBe('checksum');
  });

  it('v3_checksum_as_v2 (RFC 9568 §5.2.8): the plain form only', () => {
    const c: ReceiveConfig = { ...V3, v3Ipv4Checksum: 'plain' };
    expect(reason(receiveAdvert(plain, rx, c))).toBe('accepted');
    expect(reason(receiveAdvert(pseudo, rx, c))).toBe('checksum');
  });

  it('the pseudo-header covers the real destination (a unicast peer\'s, not the group: keepalived > 1.3.6)', () => {
    const urx = rxFor(UNI, { dstAddress: '10.77.0.1' });
    const a = advertFor(UNI);
    const toGroup = encodeAdvert(a, { srcAddress: urx.srcAddress, dstAddress: '224.0.0.18' });
    expect(reason(receiveAdvert(toGroup, urx, UNI))).toBe('checksum');
    expect(reason(receiveAdvert(encodeAdvert(a, { srcAddress: urx.srcAddress, dstAddress: urx.dstAddress }), urx, UNI))).toBe('accepted');
  });

  it('IPv6 always uses the pseudo-header, whatever the setting', () => {
    const r6 = rxFor(V6);
    const b = bytesFor(advertFor(V6), r6);
    const zeroed = Uint8Array.from(b);
    zeroed[6] = 0;
    zeroed[7] = 0;
    const sum = computeChecksum(zeroed);
    zeroed[6] = sum >> 8;
    zeroed[7] = sum & 0xff;
    expect(reason(receiveAdvert(zeroed, r6, { ...V6, v3Ipv4Checksum: 'plain' }))).toBe('checksum');
    expect(computeChecksum(Uint8Array.from(b, (x, i) => (i === 6 || i === 7 ? 0 : x)), pseudoHeader('ipv6', r6.srcAddress, r6.dstAddress, b.length))).toBe((b[6]! << 8) | b[7]!);
  });
});

describe('belongs to this virtual router', () => {
  it('another VRID', () => expect(reason(run(V2, { vrid: 52 }))).toBe('vrid'));
  it('the other version', () => expect(reason(run(V2, { version: 3, authType: 'none', authData: new Uint8Array(0) }))).toBe('version'));

  it('auth (v2): wrong password, another auth type, and any AH (this socket never sees an AH header)', () => {
    expect(reason(run(V2, { authData: passAuthData('guessed!') }))).toBe('auth');
    expect(reason(run(V2, { authType: 'none', authData: new Uint8Array(8) }))).toBe('auth');
    expect(reason(run({ ...V2, authType: 'ah' }, { authType: 'ah', authData: new Uint8Array(8) }))).toBe('auth');
    expect(reason(run({ ...V2, authType: 'none', authPass: undefined }, { authType: 'none', authData: new Uint8Array(8) }))).toBe('accepted');
  });

  it('address count and list compare as sets: order is free, duplicates are not', () => {
    expect(reason(run(V2, { addresses: ['10.77.0.101', '10.77.0.100'] }))).toBe('accepted');
    expect(reason(run(V2, { addresses: ['10.77.0.100', '10.77.0.100'] }))).toBe('addr_list');
    expect(reason(run(V2, { addresses: ['10.77.0.100', '10.77.0.102'] }))).toBe('addr_list');
    expect(reason(run(V2, { addresses: ['10.77.0.100'] }))).toBe('addr_count');
    expect(reason(run(V2, { addresses: ['10.77.0.100', '10.77.0.101', '10.77.0.102'] }))).toBe('addr_count');
    expect(reason(run(V6, { addresses: ['2001:db8::53', 'fe80::53'] }))).toBe('accepted');
  });

  it('skip_check_adv_addr skips the list only for the master a backup already follows (keepalived)', () => {
    const c: ReceiveConfig = { ...V2, skipCheckAdvAddr: true, masterAddress: '10.77.0.2' };
    expect(reason(run(c, { addresses: ['10.77.0.100'] }))).toBe('accepted');
    expect(reason(run(c, { addresses: ['10.77.0.100'] }, { srcAddress: '10.77.0.5' }))).toBe('addr_count');
    expect(reason(run({ ...c, masterAddress: null }, { addresses: ['10.77.0.100'] }))).toBe('addr_count');
  });

  it('v2: another advert interval; v3: any interval but 0', () => {
    expect(reason(run(V2, { advertIntervalMs: 2000 }))).toBe('interval');
    expect(reason(run(V3, { advertIntervalMs: 5000 }))).toBe('accepted');
    const rx = rxFor(V3);
    const b = bytesFor(advertFor(V3), rx);
    b[4] = 0;
    b[5] = 0;
    b[6] = 0;
    b[7] = 0;
    const sum = computeChecksum(b, pseudoHeader('ipv4', rx.srcAddress, rx.dstAddress, b.length));
    b[6] = sum >> 8;
    b[7] = sum & 0xff;
    expect(reason(receiveAdvert(b, rx, V3))).toBe('interval');
  });

  it('owner_ignore_adverts drops everything at priority 255, and only then', () => {
    expect(reason(run({ ...V3, priority: 255, ownerIgnoreAdverts: true }))).toBe('owner');
    expect(reason(run({ ...V3, priority: 254, ownerIgnoreAdverts: true }))).toBe('accepted');
    expect(reason(run({ ...V3, priority: 255 }))).toBe('accepted');
  });

  it('priority 0 and 255 adverts are accepted like any other (their meaning is the state machine\'s)', () => {
    expect(reason(run(V3, { priority: 0 }))).toBe('accepted');
    expect(reason(run(V3, { priority: 255 }))).toBe('accepted');
  });
});

describe('order: the counter names the first failing rule', () => {
  it('an off-link forgery failing everything is counted once, on the first rule', () => {
    const everythingWrong = { vrid: 9, addresses: ['10.0.0.1'], authData: passAuthData('nope'), advertIntervalMs: 3000 };
    expect(reason(run(V2, everythingWrong, { ttl: 64, dstAddress: '10.77.0.1' }))).toBe('ttl');
    expect(reason(run(V2, everythingWrong, { dstAddress: '10.77.0.1' }))).toBe('dst');
    expect(reason(run(V2, everythingWrong))).toBe('vrid');
    expect(reason(run(UNI, {}, { srcAddress: '10.77.0.9', ttl: 1, dstAddress: '224.0.0.18' }))).toBe('unicast_src');
  });
});
