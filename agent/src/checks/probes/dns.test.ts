import { afterEach, describe, expect, it } from 'vitest';
import type { DnsCheck } from '#schema';
import { closedPort, udpServer, type UdpServer } from '#test/support/probe-servers.ts';
import { probeDns } from './dns.ts';

const opts = { timeoutMs: 1000, signal: new AbortController().signal };
const servers: UdpServer[] = [];
afterEach(async () => Promise.all(servers.splice(0).map((s) => s.close())));

/** A reply header for `query` with QR set and `rcode` (no records: the probe reads the header). */
const answer = (query: Buffer, rcode: number, id = query.readUInt16BE(0)) => {
  const r = Buffer.from(query);
  r.writeUInt16BE(id, 0);
  r.writeUInt16BE(0x8180 | rcode, 2);
  return r;
};
const check = (extra: Partial<DnsCheck> = {}): DnsCheck => ({ type: 'DNS_CHECK', queryType: 'SOA', name: '.', ...extra });

async function serve(reply: (q: Buffer) => Buffer | Buffer[] | undefined) {
  const s = await udpServer(reply);
  servers.push(s);
  return { s, target: { address: '127.0.0.1', port: s.port } };
}

describe('DNS_CHECK on loopback', () => {
  it('is up on NOERROR and sends the configured question', async () => {
    const { s, target } = await serve((q) => answer(q, 0));
    expect(await probeDns(check({ queryType: 'A', name: 'www.example.com' }), target, opts)).toEqual({ ok: true });
    const q = s.received[0]!;
    expect(q.readUInt16BE(2)).toBe(0x0100);
    expect(q.subarray(12, -4).toString('latin1')).toBe('\x03www\x07example\x03com\x00');
    expect(q.readUInt16BE(q.length - 4)).toBe(1);
  });

  it('defaults to "." SOA', async () => {
    const { s, target } = await serve((q) => answer(q, 0));
    expect(await probeDns({ type: 'DNS_CHECK' } as DnsCheck, target, opts)).toEqual({ ok: true });
    expect(s.received[0]!.subarray(12).toString('hex')).toBe('0000060001');
  });

  it('fails on SERVFAIL and other rcodes', async () => {
    const { target } = await serve((q) => answer(q, 2));
    expect(await probeDns(check(), target, opts)).toEqual({ ok: false, reason: 'rcode SERVFAIL' });
    const { target: t2 } = await serve((q) => answer(q, 5));
    expect(await probeDns(check(), t2, opts)).toEqual({ ok: false, reason: 'rcode REFUSED' });
  });

  it('ignores replies with another id, short ones and echoes, then takes the right one', async () => {
    const { target } = await serve((q) => [answer(q, 2, q.readUInt16BE(0) ^ 1), Buffer.alloc(5), q, answer(q, 0)]);
    expect(await probeDns(check(), target, opts)).toEqual({ ok: true });
  });

  it('times out when only wrong replies come', async () => {
    const { target } = await serve((q) => answer(q, 0, q.readUInt16BE(0) ^ 0xffff));
    expect(await probeDns(check(), target, { ...opts, timeoutMs: 300 })).toEqual({ ok: false, reason: 'timeout after 300 ms waiting for the reply' });
  });

  it('times out against a server that never answers', async () => {
    const { target } = await serve(() => undefined);
    expect(await probeDns(check(), target, { ...opts, timeoutMs: 300 })).toEqual({ ok: false, reason: 'timeout after 300 ms waiting for the reply' });
  });

  it('fails at once on ICMP port unreachable', async () => {
    expect(await probeDns(check(), { address: '127.0.0.1', port: await closedPort() }, opts)).toEqual({ ok: false, reason: 'recv ECONNREFUSED' });
  });

  it('refuses a malformed name without sending', async () => {
    expect(await probeDns(check({ name: 'a..b' }), { address: '127.0.0.1', port: 53 }, opts)).toMatchObject({ ok: false, reason: expect.stringMatching(/empty label/) });
  });
});
