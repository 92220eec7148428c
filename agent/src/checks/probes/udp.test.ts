import { afterEach, describe, expect, it } from 'vitest';
import type { UdpCheck } from '#schema';
import { closedPort, udpServer, type UdpServer } from '#test/support/probe-servers.ts';
import { probeUdp } from './udp.ts';

const opts = { timeoutMs: 300, signal: new AbortController().signal };
const servers: UdpServer[] = [];
afterEach(async () => Promise.all(servers.splice(0).map((s) => s.close())));

async function serve(reply: (q: Buffer) => Buffer | undefined) {
  const s = await udpServer(reply);
  servers.push(s);
  return { s, target: { address: '127.0.0.1', port: s.port } };
}
const udp = (extra: Partial<UdpCheck> = {}): UdpCheck => ({ type: 'UDP_CHECK', ...extra });

describe('UDP_CHECK on loopback', () => {
  it('sends the payload (default: keepalived\'s 32-byte filler)', async () => {
    const { s, target } = await serve(() => undefined);
    await probeUdp(udp(), target, opts);
    await probeUdp(udp({ payload: 'deadbeef' }), target, opts);
    expect(s.received[0]!.toString()).toBe('keepalived check - keepalived ch');
    expect(s.received[0]!.length).toBe(32);
    expect(s.received[1]!.toString('hex')).toBe('deadbeef');
  });

  it('without require_reply: silence until the deadline is up, a reply is up', async () => {
    const { target } = await serve(() => undefined);
    const t0 = Date.now();
    expect(await probeUdp(udp(), target, opts)).toEqual({ ok: true });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    const { target: t2 } = await serve(() => Buffer.from('x'));
    expect(await probeUdp(udp(), t2, opts)).toEqual({ ok: true });
  });

  it('without require_reply: ICMP port unreachable is the failure', async () => {
    expect(await probeUdp(udp(), { address: '127.0.0.1', port: await closedPort() }, opts)).toEqual({ ok: false, reason: 'recv ECONNREFUSED' });
  });

  it('require_reply: any reply is up, no reply is a timeout', async () => {
    const { target } = await serve(() => Buffer.from('pong'));
    expect(await probeUdp(udp({ requireReply: true }), target, opts)).toEqual({ ok: true });
    const { target: silent } = await serve(() => undefined);
    expect(await probeUdp(udp({ requireReply: true }), silent, opts)).toEqual({ ok: false, reason: 'timeout after 300 ms waiting for a reply' });
  });

  it('require_reply HEX with wildcards: right reply up, wrong reply down', async () => {
    const { target } = await serve((q) => Buffer.concat([Buffer.from([0xca, 0xfe, q[0]!]), Buffer.from('tail')]));
    expect(await probeUdp(udp({ payload: '01', requireReply: 'cafeXX' }), target, opts)).toEqual({ ok: true });
    expect(await probeUdp(udp({ payload: '01', requireReply: 'cafe02' }), target, opts)).toEqual({ ok: false, reason: 'reply byte 2 is 01, expected 02' });
    expect(await probeUdp(udp({ payload: '01', requireReply: 'caXe' }), target, opts)).toEqual({ ok: true });
  });

  it('require_reply with min/max_reply_length', async () => {
    const { target } = await serve(() => Buffer.alloc(10));
    expect(await probeUdp(udp({ requireReply: true, minReplyLength: 11 }), target, opts)).toEqual({ ok: false, reason: 'reply 10 bytes < min_reply_length 11' });
    expect(await probeUdp(udp({ requireReply: '00', maxReplyLength: 9 }), target, opts)).toEqual({ ok: false, reason: 'reply 10 bytes > max_reply_length 9' });
    expect(await probeUdp(udp({ requireReply: '00', minReplyLength: 10, maxReplyLength: 10 }), target, opts)).toEqual({ ok: true });
  });

  it('require_reply: ICMP port unreachable fails at once', async () => {
    const t0 = Date.now();
    expect(await probeUdp(udp({ requireReply: true }), { address: '127.0.0.1', port: await closedPort() }, { ...opts, timeoutMs: 5000 })).toEqual({ ok: false, reason: 'recv ECONNREFUSED' });
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});
