import { describe, expect, it } from 'vitest';
import { splitCommand } from './command-line.ts';

describe('misc_path argv (keepalived alloc_strvec_quoted_escaped)', () => {
  it('splits on blanks', () => {
    expect(splitCommand('/usr/bin/check  -p 80\t-v')).toEqual(['/usr/bin/check', '-p', '80', '-v']);
  });

  it('groups quoted words and removes the quotes, also mid-word', () => {
    expect(splitCommand(`/bin/sh -c 'exit 3'`)).toEqual(['/bin/sh', '-c', 'exit 3']);
    expect(splitCommand(`x "a b" 'c "d"' e"f g"h`)).toEqual(['x', 'a b', 'c "d"', 'ef gh']);
    expect(splitCommand(`x ""`)).toEqual(['x', '']);
  });

  it('handles escapes like keepalived, inside quotes too', () => {
    expect(splitCommand(String.raw`a\ b "c\"d" \n\t \x41\x4a2 \101 \cA \q \\`)).toEqual(['a b', 'c"d', '\n\t', 'AJ2', 'A', '\x01', 'q', '\\']);
  });

  it('names the problem for unterminated quotes, a dangling backslash, or nothing', () => {
    expect(splitCommand(`x "abc`)).toMatch(/missing the closing "/);
    expect(splitCommand('x \\')).toMatch(/backslash at the end/);
    expect(splitCommand('   ')).toBe('misc_path is empty');
  });
});
