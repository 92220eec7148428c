/**
 * MISC_CHECK `misc_path`: the command string split into argv the way keepalived does it
 * (set_script_params_array -> alloc_strvec_quoted_escaped in lib/parser.c), then executed
 * directly (execve, no shell):
 *
 * - words are separated by blanks (space, tab, \f, \n, \r, \v) outside quotes;
 * - "..." and '...' group words; the quote characters are removed; quotes may sit mid-word
 *   (`a"b c"d` is one word `ab cd`);
 * - a backslash escapes, also inside quotes: \a \b \E(ESC) \f \n \r \t \v, \xHH (1-2 hex
 *   digits), \cX (control-X), \NNN (1-3 octal digits), anything else is the character itself
 *   (`\"`, `\\`, `\ `).
 */

/** argv, or an error string naming the problem. */
export function splitCommand(command: string): string[] | string {
  const words: string[] = [];
  let i = 0;
  const blank = (c: string | undefined) => c !== undefined && ' \t\f\n\r\v'.includes(c);
  while (i < command.length) {
    while (blank(command[i])) i++;
    if (i >= command.length) break;
    let word = '';
    let quote: string | undefined;
    for (; i < command.length; ) {
      const c = command[i]!;
      if (c === '\\') {
        const esc = unescapeAt(command, i + 1);
        if (!esc) return `misc_path "${command}": a backslash at the end has nothing to escape`;
        word += esc.text;
        i = esc.next;
      } else if (quote) {
        if (c === quote) quote = undefined;
        else word += c;
        i++;
      } else if (c === '"' || c === "'") {
        quote = c;
        i++;
      } else if (blank(c)) {
        break;
      } else {
        word += c;
        i++;
      }
    }
    if (quote) return `misc_path "${command}": missing the closing ${quote}`;
    words.push(word);
  }
  if (words.length === 0) return 'misc_path is empty';
  return words;
}

const SIMPLE: Record<string, string> = { a: '\x07', b: '\b', E: '\x1b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

function unescapeAt(s: string, at: number): { text: string; next: number } | undefined {
  const c = s[at];
  if (c === undefined) return undefined;
  const hex = /^x([0-9a-fA-F]{1,2})/.exec(s.slice(at));
  if (hex) return { text: String.fromCharCode(parseInt(hex[1]!, 16)), next: at + hex[0].length };
  if (c === 'c' && s[at + 1] !== undefined) return { text: String.fromCharCode(s.charCodeAt(at + 1) & 0x1f), next: at + 2 };
  const oct = /^[0-7]{1,3}/.exec(s.slice(at));
  // keepalived keeps octal escapes in a char: \777 wraps to one byte.
  if (oct) return { text: String.fromCharCode(parseInt(oct[0], 8) & 0xff), next: at + oct[0].length };
  return { text: SIMPLE[c] ?? c, next: at + 1 };
}
