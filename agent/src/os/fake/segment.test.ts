import { describe, expect, it } from 'vitest';
import { FakeHost, FakeSegment } from './index.ts';

describe('FakeSegment', () => {
  it('carries packets sent in reaction to a received one within one flush, and can partition', async () => {
    const segment = new FakeSegment();
    const a = new FakeHost('a');
    const b = new FakeHost('b');
    a.attach(segment, { ifname: 'eth0', ipv4: '192.0.2.1/24' });
    b.attach(segment, { ifname: 'eth0', ipv4: '192.0.2.2/24' });
    const sa = await a.vrrpSockets.open({ family: 4, ifname: 'eth0' });
    const sb = await b.vrrpSockets.open({ family: 4, ifname: 'eth0' });
    if (!sa.ok || !sb.ok) throw new Error('open failed');
    const atA: number[] = [];
    sa.value.onPacket((p) => atA.push(p.payload[0] ?? -1));
    sb.value.onPacket((p) => sb.value.send(Uint8Array.of((p.payload[0] ?? 0) + 1), '224.0.0.18'));
    sa.value.send(Uint8Array.of(1), '224.0.0.18');
    await segment.flush();
    expect(atA).toEqual([2]);

    segment.dropWhen((p) => p.src === '192.0.2.1');
    sa.value.send(Uint8Array.of(10), '224.0.0.18');
    await segment.flush();
    expect(atA).toEqual([2]);
    expect(segment.wire.map((p) => p.payload[0])).toEqual([1, 2]);
  });

  it('records announcements from hosts whose link is up, not from ones without carrier', async () => {
    const segment = new FakeSegment();
    const a = new FakeHost('a');
    a.attach(segment, { ifname: 'eth0', ipv4: '192.0.2.1/24' });
    expect(await a.announcer.garp('eth0', '192.0.2.100')).toEqual({ ok: true, value: undefined });
    a.setCarrier('eth0', false);
    expect(await a.announcer.garp('eth0', '192.0.2.101')).toEqual({ ok: true, value: undefined });
    a.setLinkUp('eth0', false);
    expect(await a.announcer.garp('eth0', '192.0.2.102')).toMatchObject({ ok: false, code: 'ENETDOWN' });
    await segment.flush();
    expect(segment.announcements.map((x) => x.ip)).toEqual(['192.0.2.100']);
  });
});
