import { describe, expect, it } from 'vitest';
import { bodyMatches, compileBodyRegex, type BodyRegex } from './body-regex.ts';

const re = (p: string, o?: string[]) => compileBodyRegex(p, o) as BodyRegex;

describe('url regex', () => {
  it('matches the body, with PCRE option names as flags', () => {
    expect(bodyMatches(re('status: ok'), Buffer.from('<p>status: ok</p>'))).toBe(true);
    expect(bodyMatches(re('STATUS'), Buffer.from('status'))).toBe(false);
    expect(bodyMatches(re('STATUS', ['caseless']), Buffer.from('status'))).toBe(true);
    expect(bodyMatches(re('^b', ['multiline']), Buffer.from('a\nb'))).toBe(true);
  });

  it('honours regex_min_offset and regex_max_offset (the match must start within them)', () => {
    const body = Buffer.from('ok.....ok');
    expect(bodyMatches(re('ok'), body, 1)).toBe(true); // the second "ok", at 7
    expect(bodyMatches(re('ok'), body, 1, 6)).toBe(false);
    expect(bodyMatches(re('ok'), body, 8)).toBe(false);
  });

  it('uses byte offsets (latin1) unless utf is set', () => {
    expect(bodyMatches(re('b'), Buffer.from('éb'), 0, 2)).toBe(true); // é is 2 bytes: b at 2
    expect(bodyMatches(re('^.b$', ['utf']), Buffer.from('éb'))).toBe(true);
  });

  it('says why a pattern cannot run here', () => {
    expect(compileBodyRegex('a', ['extended'])).toMatch(/regex_options "extended" has no JavaScript equivalent/);
    expect(compileBodyRegex('(unclosed')).toMatch(/does not compile/);
    expect(typeof compileBodyRegex('a', ['no_start_optimize'])).toBe('object');
  });
});
