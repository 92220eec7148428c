/**
 * keepalived.conf lexer: one text file -> logical lines of tokens, each token with its file,
 * line and column. Mirrors keepalived 2.2.x `lib/parser.c` (`decomment`, `alloc_strvec`):
 *
 * - `#` and `!` start a comment anywhere outside double quotes; `\#` and `\!` escape them.
 * - `"..."` is one token with the quotes removed; an unterminated quote is an error.
 * - `{` and `}` outside quotes are always tokens of their own, even when glued to a word.
 * - a trailing `\` joins the next physical line (keepalived's continuation).
 * - `//` is NOT a comment: it stays a token, and the parser reports it where it lands.
 *
 * Unicode spaces (U+00A0 NO-BREAK SPACE from web pages, U+2000..U+200A, U+3000, ...) are
 * normalised to ASCII spaces. keepalived itself rejects every such line as an unknown keyword;
 * Vigil accepts them and says so with ONE warning per file (at the first occurrence, naming how
 * many lines and which) rather than one per line: pasted configs have them on nearly every line
 * and a wall of identical warnings would bury the real problems.
 */
import { diag, type Diagnostic, type Location } from './diagnostics.ts';

export interface Token extends Location {
  text: string;
  /** True when the token was written in double quotes (never a brace, never a keyword). */
  quoted: boolean;
}

/** One logical line (continuations joined); `tokens` is never empty. */
export interface LexLine {
  file: string;
  line: number;
  tokens: Token[];
  /** The line's text without its comment (Unicode spaces normalised): `include` reads its pattern from it. */
  text: string;
}

export interface LexResult {
  lines: LexLine[];
  diagnostics: Diagnostic[];
}

// Unicode space separators plus the BOM and NEL: every one of them is invisible in an editor.
const SPACE_CLASS = '[\\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000\\uFEFF]';
const UNICODE_SPACE = new RegExp(SPACE_CLASS, 'gu');
const IS_UNICODE_SPACE = new RegExp(SPACE_CLASS, 'u');

function describeSpaces(found: Set<string>): string {
  return [...found]
    .map((c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}${c === '\u00A0' ? ' (no-break space)' : ''}`)
    .join(', ');
}

function listLines(lines: number[]): string {
  const shown = lines.slice(0, 12).join(', ');
  return lines.length > 12 ? `${shown}, … (${lines.length} lines)` : shown;
}

/**
 * Splits `text` (the content of `file`) into logical lines of tokens.
 *
 * @example
 * lexKeepalived('priority 100 # main\n', 'k.conf').lines[0].tokens.map((t) => t.text) // ['priority', '100']
 */
export function lexKeepalived(text: string, file: string): LexResult {
  const diagnostics: Diagnostic[] = [];
  const lines: LexLine[] = [];
  const physical = text.split('\n');
  const spaceLines: number[] = [];
  const spaceKinds = new Set<string>();
  let firstSpace: Location | undefined;
  let pending: LexLine | undefined; // a line ended with `\`

  for (let i = 0; i < physical.length; i++) {
    const lineNo = i + 1;
    let raw = physical[i]!.replace(/\r$/, '');
    if (IS_UNICODE_SPACE.test(raw)) {
      const chars = Array.from(raw);
      const idx = chars.findIndex((c) => IS_UNICODE_SPACE.test(c));
      for (const c of chars) if (IS_UNICODE_SPACE.test(c)) spaceKinds.add(c);
      firstSpace ??= { file, line: lineNo, column: idx + 1 };
      spaceLines.push(lineNo);
      raw = raw.replace(UNICODE_SPACE, ' ');
    }
    const { tokens, continued, unterminatedAt, content } = tokenizeLine(raw, file, lineNo);
    if (unterminatedAt !== undefined) {
      diagnostics.push(
        diag('error', 'unterminated-quote', { file, line: lineNo, column: unterminatedAt }, 'unterminated quoted string', {
          expected: 'a closing `"` on the same line',
        }),
      );
    }
    if (pending) {
      pending.tokens.push(...tokens);
      pending.text += ` ${content.trim()}`;
    } else if (tokens.length > 0) {
      pending = { file, line: tokens[0]!.line, tokens, text: content.trim() };
    } else if (continued) {
      pending = { file, line: lineNo, tokens: [], text: '' };
    }
    if (!continued && pending) {
      if (pending.tokens.length > 0) lines.push(pending);
      pending = undefined;
    }
  }
  if (pending && pending.tokens.length > 0) lines.push(pending);

  if (firstSpace) {
    diagnostics.unshift(
      diag(
        'warning',
        'unicode-space',
        firstSpace,
        `${describeSpaces(spaceKinds)} normalised to plain spaces on ${spaceLines.length} line${spaceLines.length === 1 ? '' : 's'} (${listLines(spaceLines)}); keepalived itself rejects such lines as unknown keywords`,
        { hint: 'retype the indentation with ASCII spaces or tabs (it was probably pasted from a web page)' },
      ),
    );
  }
  return { lines, diagnostics };
}

interface LineTokens {
  tokens: Token[];
  continued: boolean;
  unterminatedAt?: number;
  content: string;
}

function tokenizeLine(raw: string, file: string, line: number): LineTokens {
  const chars = Array.from(raw);
  const tokens: Token[] = [];
  let word = '';
  let wordCol = 0;
  let quoted = false;
  let inQuote = false;
  let quoteCol = 0;
  let continued = false;
  let end = chars.length;

  const flush = () => {
    if (word.length > 0 || quoted) tokens.push({ text: word, file, line, column: wordCol, quoted });
    word = '';
    quoted = false;
  };

  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    const col = i + 1;
    if (inQuote) {
      if (c === '"') inQuote = false;
      else word += c;
      continue;
    }
    if (c === '"') {
      if (word.length === 0 && !quoted) wordCol = col;
      inQuote = true;
      quoted = true;
      quoteCol = col;
      continue;
    }
    if (c === '\\') {
      const next = chars[i + 1];
      if (next === undefined) {
        continued = true;
        end = i;
        break;
      }
      if (next === '#' || next === '!') {
        if (word.length === 0 && !quoted) wordCol = col;
        word += next;
        i++;
        continue;
      }
    }
    if (c === '#' || c === '!') {
      end = i;
      break;
    }
    if (c === ' ' || c === '\t' || c === '\v' || c === '\f') {
      flush();
      continue;
    }
    if (c === '{' || c === '}') {
      flush();
      tokens.push({ text: c, file, line, column: col, quoted: false });
      continue;
    }
    if (word.length === 0 && !quoted) wordCol = col;
    word += c;
  }
  const content = chars.slice(0, end).join('');
  if (inQuote) {
    flush();
    return { tokens, continued: false, unterminatedAt: quoteCol, content };
  }
  flush();
  return { tokens, continued, content };
}
