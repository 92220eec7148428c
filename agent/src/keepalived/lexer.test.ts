import { describe, expect, it } from 'vitest';
import { lexKeepalived } from './include.ts';

const texts = (src: string) => lexKeepalived(src, 'k.conf').lines.map((l) => l.tokens.map((t) => t.text));

describe('lexKeepalived', () => {
  it('splits words and gives 1-based line and column', () => {
    const { lines } = lexKeepalived('vrrp_instance VI_1 {\n  priority 100\n}\n', 'k.conf');
    expect(lines.map((l) => l.tokens.map((t) => [t.text, t.line, t.column]))).toEqual([
      [['vrrp_instance', 1, 1], ['VI_1', 1, 15], ['{', 1, 20]],
      [['priority', 2, 3], ['100', 2, 12]],
      [['}', 3, 1]],
    ]);
  });

  it('drops # and ! comments anywhere outside quotes, keeps escaped ones', () => {
    expect(texts('router_id a # note\n! whole line\nscript "echo #1 !x"\nx a\\#b')).toEqual([
      ['router_id', 'a'],
      ['script', 'echo #1 !x'],
      ['x', 'a#b'],
    ]);
  });

  it('keeps // as words: it is not a comment in keepalived.conf', () => {
    expect(texts('priority 100 //main')).toEqual([['priority', '100', '//main']]);
  });

  it('makes braces their own tokens even when glued to words', () => {
    expect(texts('url{path /}')).toEqual([['url', '{', 'path', '/', '}']]);
    expect(texts('script "a{b}"')).toEqual([['script', 'a{b}']]);
  });

  it('marks quoted tokens and keeps an empty quoted string', () => {
    const { lines } = lexKeepalived('misc_path "" x', 'k.conf');
    expect(lines[0]!.tokens.map((t) => [t.text, t.quoted])).toEqual([['misc_path', false], ['', true], ['x', false]]);
  });

  it('reports an unterminated quote at the opening quote', () => {
    const { diagnostics } = lexKeepalived('a\nscript "echo\n', 'k.conf');
    expect(diagnostics).toMatchObject([{ severity: 'error', code: 'unterminated-quote', line: 2, column: 8 }]);
  });

  it('does not join a line ending in a backslash with the next one (keepalived only does inside $NAME= definitions)', () => {
    // keepalived 2.2.7 -t on this reports "Unknown keyword 'arg'": the `\` stays, glued to the word before it.
    const { lines } = lexKeepalived('notify_master /bin/x \\\n  arg\nnext', 'k.conf');
    expect(lines.map((l) => l.tokens.map((t) => t.text))).toEqual([['notify_master', '/bin/x\\'], ['arg'], ['next']]);
    expect(lines.map((l) => l.afterBackslash ?? false)).toEqual([false, true, false]);
  });

  it('normalises NBSP and other Unicode spaces with ONE warning per file naming the lines', () => {
    const src = '\u00a0\u00a0priority 100\nstate MASTER\n\u3000interface\u2003eth0\n';
    const { lines, diagnostics } = lexKeepalived(src, 'k.conf');
    expect(lines.map((l) => l.tokens.map((t) => t.text))).toEqual([['priority', '100'], ['state', 'MASTER'], ['interface', 'eth0']]);
    expect(lines[0]!.tokens[0]!.column).toBe(3);
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ severity: 'warning', code: 'unicode-space', line: 1, column: 1 });
    expect(diagnostics[0]!.message).toContain('2 lines (1, 3)');
    expect(diagnostics[0]!.message).toContain('U+00A0');
    expect(diagnostics[0]!.message).toContain('U+3000');
  });

  it('counts columns in code points, not UTF-16 units', () => {
    const { lines } = lexKeepalived('😀 x', 'k.conf');
    expect(lines[0]!.tokens[1]!.column).toBe(3);
  });

  it('handles CRLF line endings', () => {
    expect(texts('a 1\r\nb 2\r\n')).toEqual([['a', '1'], ['b', '2']]);
  });
});
