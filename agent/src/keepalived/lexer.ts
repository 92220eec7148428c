/**
 * keepalived.conf lexing, one line at a time, as keepalived 2.2.x `lib/parser.c` does it
 * (`decomment`, the `{`/`}` split at the end of `read_line`, `alloc_strvec_r`). The line loop
 * around it (parameters, conditional lines, sequences, includes) is include.ts.
 *
 * - `#` and `!` start a comment anywhere outside double quotes; `\#` and `\!` escape them.
 * - Leading spaces and tabs are dropped, then trailing blanks.
 * - A trailing `\` is NOT a line continuation: keepalived only joins lines inside a multi-line
 *   `$NAME=` definition. Anywhere else the `\` stays, glued to the last word (the next line is
 *   a statement of its own), so Vigil keeps it too and says so where it matters.
 * - The first `{` or `}` outside quotes ends the line: a line is a statement, a lone `{` or a
 *   lone `}`, and the rest of the text is read as the next line.
 * - Words are separated by blanks; `"..."` is one word without its quotes; an unquoted word ends
 *   at a `"`. An unterminated quote is an error.
 * - `//` is NOT a comment: it stays a word, and validation reports it where it lands.
 *
 * Unicode spaces (U+00A0 NO-BREAK SPACE from web pages, U+2000..U+200A, U+3000, ...) are
 * normalised to ASCII spaces. keepalived itself rejects every such line as an unknown keyword;
 * Vigil accepts them and says so with ONE warning per file (at the first occurrence, naming how
 * many lines and which) rather than one per line: pasted configs have them on nearly every line
 * and a wall of identical warnings would bury the real problems.
 *
 * Text is handled as arrays of code points, each with the column (1-based, in code points) it
 * came from and, when a parameter supplied it, the parameter's definition.
 */
import { diag, type Diagnostic, type Location } from './diagnostics.ts';

/** Where a parameter that supplied text was defined (`$NAME=...` at file:line). */
export interface DefRef {
  name: string;
  file: string;
  line: number;
}

export interface Token extends Location {
  text: string;
  /** True when the token was written in double quotes (never a brace, never a keyword). */
  quoted: boolean;
  /** Parameters whose values make up (part of) this token, innermost definition first. */
  via?: DefRef[];
  /** `$NAME` references left as written because no parameter NAME is defined. */
  unresolved?: string[];
}

/** One statement, `{` or `}`; `tokens` is never empty. */
export interface LexLine {
  file: string;
  line: number;
  tokens: Token[];
  /** The line's text after comments, parameters and conditionals. */
  text: string;
  /** The physical line before this one ended with `\` (which keepalived does not join). */
  afterBackslash?: boolean;
}

export interface LexResult {
  lines: LexLine[];
  diagnostics: Diagnostic[];
}

/** Text with where each code point came from. */
export interface Chars {
  s: string[];
  col: number[];
  /** Present once a parameter supplied some of the text: the definition per code point. */
  via?: (DefRef[] | undefined)[];
}

export function charsOf(text: string, firstColumn = 1): Chars {
  const s = Array.from(text);
  return { s, col: s.map((_, i) => firstColumn + i) };
}

export function sliceChars(c: Chars, from: number, to = c.s.length): Chars {
  const out: Chars = { s: c.s.slice(from, to), col: c.col.slice(from, to) };
  if (c.via) out.via = c.via.slice(from, to);
  return out;
}

export function textOf(c: Chars): string {
  return c.s.join('');
}

/** UTF-8 length, the unit keepalived's line buffer counts in. */
export function byteLength(c: Chars): number {
  let n = 0;
  for (const ch of c.s) {
    const cp = ch.codePointAt(0)!;
    n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return n;
}

// Unicode space separators plus the BOM and NEL: every one of them is invisible in an editor.
const SPACE_CLASS = '[\\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000\\uFEFF]';
const UNICODE_SPACE = new RegExp(SPACE_CLASS, 'gu');
const IS_UNICODE_SPACE = new RegExp(SPACE_CLASS, 'u');

/** Collects the Unicode spaces of one file for its single warning. */
export class UnicodeSpaces {
  private readonly lines: number[] = [];
  private readonly kinds = new Set<string>();
  private first: Location | undefined;

  constructor(private readonly file: string) {}

  /** `raw` with Unicode spaces made ASCII, noting where they were. */
  normalise(raw: string, line: number): string {
    if (!IS_UNICODE_SPACE.test(raw)) return raw;
    const chars = Array.from(raw);
    const idx = chars.findIndex((c) => IS_UNICODE_SPACE.test(c));
    for (const c of chars) if (IS_UNICODE_SPACE.test(c)) this.kinds.add(c);
    this.first ??= { file: this.file, line, column: idx + 1 };
    this.lines.push(line);
    return raw.replace(UNICODE_SPACE, ' ');
  }

  diagnostic(): Diagnostic | undefined {
    if (!this.first) return undefined;
    const kinds = [...this.kinds]
      .map((c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}${c === '\u00A0' ? ' (no-break space)' : ''}`)
      .join(', ');
    const shown = this.lines.slice(0, 12).join(', ');
    const list = this.lines.length > 12 ? `${shown}, … (${this.lines.length} lines)` : shown;
    return diag(
      'warning',
      'unicode-space',
      this.first,
      `${kinds} normalised to plain spaces on ${this.lines.length} line${this.lines.length === 1 ? '' : 's'} (${list}); keepalived itself rejects such lines as unknown keywords`,
      { hint: 'retype the indentation with ASCII spaces or tabs (it was probably pasted from a web page)' },
    );
  }
}

export interface Decommented {
  text: Chars;
  /** The line ended with `\` (kept as the last character of `text`). */
  continued: boolean;
  /** Column of the opening quote of an unterminated quoted string. */
  unterminatedAt?: number;
}

const isBlank = (c: string | undefined) => c === ' ' || c === '\t';

/**
 * keepalived's `decomment`: leading blanks, comments and the escapes of comment characters
 * removed, trailing blanks removed, a trailing `\` kept (and flagged).
 */
export function decomment(input: Chars): Decommented {
  let start = 0;
  while (isBlank(input.s[start])) start++;
  const s: string[] = [];
  const col: number[] = [];
  const via: (DefRef[] | undefined)[] | undefined = input.via ? [] : undefined;
  const push = (i: number) => {
    s.push(input.s[i]!);
    col.push(input.col[i]!);
    via?.push(input.via![i]);
  };
  let quote = false;
  let quoteCol = 0;
  let comment = false;
  let continued = false;
  let backslashAt = -1;
  for (let i = start; i < input.s.length; i++) {
    const c = input.s[i]!;
    if (c === '"') {
      if (!comment) {
        quote = !quote;
        if (quote) quoteCol = input.col[i]!;
      }
      if (!comment) push(i);
      continue;
    }
    if (c === '\\') {
      if (i + 1 >= input.s.length) {
        continued = true;
        backslashAt = i;
        break;
      }
      const next = input.s[i + 1]!;
      if (!comment) {
        if (!quote && (next === '#' || next === '!')) push(i + 1);
        else {
          push(i);
          push(i + 1);
        }
      }
      i++;
      continue;
    }
    if (!quote && !comment && (c === '!' || c === '#')) {
      // Text after the comment start is dropped, but a final `\` still counts (keepalived
      // keeps scanning for it), so `$X= \  # note \` continues a definition.
      comment = true;
      continue;
    }
    if (!comment) push(i);
  }
  while (s.length > 0 && isBlank(s[s.length - 1])) {
    s.pop();
    col.pop();
    via?.pop();
  }
  if (continued) {
    s.push('\\');
    col.push(input.col[backslashAt]!);
    via?.push(input.via?.[backslashAt]);
  }
  const text: Chars = { s, col };
  if (via) text.via = via;
  const out: Decommented = { text, continued };
  if (quote) out.unterminatedAt = quoteCol;
  return out;
}

/**
 * The `{`/`}` split at the end of keepalived's `read_line`: a line starting with a brace is that
 * brace alone; otherwise the line ends before the first brace outside double quotes. Returns the
 * line and the rest (blanks trimmed), which is read as the next line.
 */
export function splitAtBrace(c: Chars): { line: Chars; rest?: Chars } {
  let p = -1;
  if (c.s[0] === '{' || c.s[0] === '}') p = 0;
  else {
    for (let i = 0; i < c.s.length; i++) {
      const ch = c.s[i];
      if (ch === '{' || ch === '}') {
        p = i;
        break;
      }
      if (ch === '"') {
        let close = i + 1;
        while (close < c.s.length && c.s[close] !== '"') close++;
        if (close >= c.s.length) break; // an unmatched quote: keepalived stops looking
        i = close;
      }
    }
  }
  if (p < 0) return { line: trimEnd(c) };
  if (p === 0) {
    let r = 1;
    while (isBlank(c.s[r])) r++;
    const rest = trimEnd(sliceChars(c, r));
    return rest.s.length > 0 ? { line: sliceChars(c, 0, 1), rest } : { line: sliceChars(c, 0, 1) };
  }
  const rest = trimEnd(sliceChars(c, p));
  return { line: trimEnd(sliceChars(c, 0, p)), rest };
}

function trimEnd(c: Chars): Chars {
  let n = c.s.length;
  while (n > 0 && isBlank(c.s[n - 1])) n--;
  return n === c.s.length ? c : sliceChars(c, 0, n);
}

const WHITE_SPACE = new Set([' ', '\t', '\f', '\n', '\r', '\v']);

/**
 * keepalived's `alloc_strvec_r`: words split on blanks; `"..."` is one word without its quotes
 * (no escapes); an unquoted word ends at blank or `"`. An unmatched quote ends the line (the
 * caller reports it).
 */
export function splitWords(c: Chars, file: string, line: number): { tokens: Token[]; unmatchedAt?: number } {
  const tokens: Token[] = [];
  let i = 0;
  const make = (from: number, to: number, quoted: boolean, colAt: number): Token => {
    const t: Token = { text: c.s.slice(from, to).join(''), file, line, column: c.col[colAt] ?? 1, quoted };
    if (c.via) {
      const refs: DefRef[] = [];
      for (let k = Math.max(from, colAt); k < Math.max(to, colAt + 1) && k < c.s.length; k++) {
        for (const r of c.via[k] ?? []) if (!refs.some((x) => x.name === r.name && x.line === r.line && x.file === r.file)) refs.push(r);
      }
      if (refs.length) t.via = refs;
    }
    return t;
  };
  while (i < c.s.length) {
    while (i < c.s.length && WHITE_SPACE.has(c.s[i]!)) i++;
    if (i >= c.s.length) break;
    if (c.s[i] === '"') {
      let close = i + 1;
      while (close < c.s.length && c.s[close] !== '"') close++;
      if (close >= c.s.length) return { tokens, unmatchedAt: c.col[i] ?? 1 };
      tokens.push(make(i + 1, close, true, i));
      i = close + 1;
      continue;
    }
    const from = i;
    while (i < c.s.length && !WHITE_SPACE.has(c.s[i]!) && c.s[i] !== '"') i++;
    tokens.push(make(from, i, false, from));
  }
  return { tokens };
}

/**
 * Splits `text` (the content of `file`) into lines of tokens, without includes: the reader of
 * include.ts run on one in-memory file.
 *
 * @example
 * lexKeepalived('priority 100 # main\n', 'k.conf').lines[0].tokens.map((t) => t.text) // ['priority', '100']
 */
export { lexKeepalived } from './include.ts';
