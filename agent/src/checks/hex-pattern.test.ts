import { describe, expect, it } from 'vitest';
import { parseHex, replyMismatch, type HexPattern } from './hex-pattern.ts';

const p = (s: string) => parseHex(s, true) as HexPattern;

describe('hex strings (keepalived read_hex_str)', () => {
  it('parses bytes, with blanks allowed and a lone digit before a blank as one byte', () => {
    expect((parseHex('0a0B', false) as HexPattern).bytes).toEqual(Buffer.from([0x0a, 0x0b]));
    // keepalived's manual: "Ab12f 3 456 546443123" = AB 12 0F 03 45 06 54 64 43 12 03
    expect((parseHex('Ab12f 3 456 546443123', false) as HexPattern).bytes.toString('hex')).toBe('ab120f03450654644312' + '03');
  });

  it('takes x/X as nibble wildcards only where allowed', () => {
    const pat = p('4Xxx');
    expect(pat.bytes).toEqual(Buffer.from([0x40, 0x00]));
    expect(pat.care).toEqual(Buffer.from([0xf0, 0x00]));
    expect(parseHex('4X', false)).toMatch(/invalid hex character "X"/);
  });

  it('rejects junk and empty strings', () => {
    expect(parseHex('zz', true)).toMatch(/invalid hex character "z"/);
    expect(parseHex('  ', true)).toMatch(/empty/);
  });
});

describe('require_reply matching (keepalived check_udp_reply)', () => {
  it('matches exact bytes and wildcard nibbles', () => {
    expect(replyMismatch(Buffer.from('4142', 'hex'), p('4142'))).toBeUndefined();
    expect(replyMismatch(Buffer.from('4f99', 'hex'), p('4XXX'))).toBeUndefined();
    expect(replyMismatch(Buffer.from('5f99', 'hex'), p('4XXX'))).toBe('reply byte 0 is 5f, expected 4X');
  });

  it('compares only min(reply, pattern) bytes', () => {
    expect(replyMismatch(Buffer.from('41', 'hex'), p('414243'))).toBeUndefined();
    expect(replyMismatch(Buffer.from('41424344', 'hex'), p('4142'))).toBeUndefined();
  });

  it('checks min/max reply length (default 0..255)', () => {
    expect(replyMismatch(Buffer.alloc(256), undefined)).toBe('reply 256 bytes > max_reply_length 255');
    expect(replyMismatch(Buffer.alloc(2), undefined, 4, 10)).toBe('reply 2 bytes < min_reply_length 4');
    expect(replyMismatch(Buffer.alloc(0), undefined)).toBeUndefined();
  });
});
