import { describe, expect, it } from 'vitest';
import { decodeHeader, encodeName, encodeQuery, judgeReply, rcodeName } from './dns-packet.ts';

const reply = (id: number, flags: number) => {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(id, 0);
  b.writeUInt16BE(flags, 2);
  return b;
};

describe('DNS query encoding', () => {
  it('encodes the root as one zero byte', () => {
    expect(encodeName('.')).toEqual(Buffer.from([0]));
  });

  it('encodes labels with and without the trailing dot alike', () => {
    const wire = Buffer.from([7, ...Buffer.from('example'), 3, ...Buffer.from('com'), 0]);
    expect(encodeName('example.com')).toEqual(wire);
    expect(encodeName('example.com.')).toEqual(wire);
  });

  it('refuses empty and over-long labels and names', () => {
    expect(encodeName('a..b')).toMatch(/empty label/);
    expect(encodeName(`${'a'.repeat(64)}.com`)).toMatch(/longer than 63/);
    expect(encodeName(Array.from({ length: 10 }, () => 'a'.repeat(30)).join('.'))).toMatch(/longer than 255/);
  });

  it('builds keepalived\'s query: id, RD, one question of class IN (golden bytes)', () => {
    const q = encodeQuery(0xbeef, '.', 'SOA') as Buffer;
    expect(q.toString('hex')).toBe('beef' + '0100' + '0001' + '0000' + '0000' + '0000' + '00' + '0006' + '0001');
    const a = encodeQuery(1, 'example.com', 'AAAA') as Buffer;
    expect(a.subarray(-4).toString('hex')).toBe('001c0001');
  });

  it('passes a bad name through as an error string', () => {
    expect(encodeQuery(1, 'a..b', 'A')).toMatch(/empty label/);
  });
});

describe('DNS reply judgement (keepalived check_dns.c)', () => {
  it('decodes id, QR and RCODE', () => {
    expect(decodeHeader(reply(0x1234, 0x8182))).toEqual({ id: 0x1234, qr: true, rcode: 2 });
    expect(decodeHeader(Buffer.alloc(11))).toBeUndefined();
  });

  it('accepts a response with the same id and NOERROR', () => {
    expect(judgeReply(reply(7, 0x8180), 7)).toEqual({ kind: 'ok' });
  });

  it('fails on any other RCODE, naming it', () => {
    expect(judgeReply(reply(7, 0x8182), 7)).toEqual({ kind: 'fail', reason: 'rcode SERVFAIL' });
    expect(judgeReply(reply(7, 0x8183), 7)).toEqual({ kind: 'fail', reason: 'rcode NXDOMAIN' });
    expect(judgeReply(reply(7, 0x8185), 7)).toEqual({ kind: 'fail', reason: 'rcode REFUSED' });
    expect(rcodeName(15)).toBe('RCODE15');
  });

  it('ignores short datagrams, other ids and queries (keeps waiting)', () => {
    expect(judgeReply(Buffer.alloc(4), 7).kind).toBe('ignore');
    expect(judgeReply(reply(8, 0x8180), 7).kind).toBe('ignore');
    expect(judgeReply(reply(7, 0x0100), 7).kind).toBe('ignore');
  });
});
