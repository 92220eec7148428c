/**
 * keepalived.conf lexing, one line at a time, as keepalived 2.2.x `lib/parser.c` does it
 * (`decomment`, the `{`/`}` split at the end of `read_line`, `alloc_strvec_r`). The line loop
 * around it (parameters, conditional lines, sequences, includes) is include.ts.
 *
 * - `#` and `!` start a comment anywhere outside double quotes; `\#` and `\!` escape them (in
 *   the parse keepalived -t reports on; its VRRP/checker children re-read a copy in which the
 *   escape is gone, so there an unquoted `\#` does start a comment: quote such text).
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
 * Text keeps, per character, the column (1-based, in code points) it came from and, when a
 * parameter supplied it, the parameter's definition.
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

/**
 * Text with where each character came from. Columns are counted in code points; `col` is only
 * materialised when they differ from `base + index` (astral characters, removed escapes,
 * substituted text), so the common line costs a string and a number.
 */
export interface Chars {
  s: string;
  base: number;
  /** Column of each UTF-16 unit, when not `base + index`. */
  col?: number[];
  /** Present once a parameter supplied some of the text: the definitions per UTF-16 unit. */
  via?: (DefRef[] | undefined)[];
}

const ASTRAL = /[\uD800-\uDFFF]/;

export function charsOf(text: string, firstColumn = 1): Chars {
  if (!ASTRAL.test(text)) return { s: text, base: firstColumn };
  const col: number[] = [];
  let c = firstColumn;
  for (let i = 0; i < text.length; i++) {
    col.push(c);
    const u = text.charCodeAt(i);
    // The high half of a surrogate pair shares its column with the low half.
    if (!(u >= 0xd800 && u <= 0xdbff && i + 1 < text.length)) c++;
  }
  return { s: text, base: firstColumn, col };
}

export function colAt(c: Chars, i: number): number {
  if (c.col) return c.col[i] ?? (c.col.length ? c.col[c.col.length - 1]! + 1 : c.base);
  return c.base + i;
}

/** Columns of every unit, materialised (for edits that move text around). */
export function columnsOf(c: Chars): number[] {
  if (c.col) return c.col;
  const col = new Array<number>(c.s.length);
  for (let i = 0; i < c.s.length; i++) col[i] = c.base + i;
  return col;
}

export function sliceChars(c: Chars, from: number, to = c.s.length): Chars {
  const out: Chars = { s: c.s.slice(from, to), base: c.col ? c.base : c.base + from };
  if (c.col) out.col = c.col.slice(from, to);
  if (c.via) out.via = c.via.slice(from, to);
  return out;
}

export function textOf(c: Chars): string {
  return c.s;
}

/** UTF-8 length, the unit keepalived's line buffer counts in. */
export function byteLength(c: Chars | string): number {
  return Buffer.byteLength(typeof c === 'string' ? c : c.s);
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

  /** Whether `text` has any Unicode space at all. */
  present(text: string): boolean {
    return IS_UNICODE_SPACE.test(text);
  }

  /**
   * `raw` with Unicode spaces made ASCII, noting where they matter: before any comment on the
   * line (one inside a comment changes nothing, for keepalived or Vigil).
   */
  normalise(raw: string, line: number): string {
    if (!IS_UNICODE_SPACE.test(raw)) return raw;
    const chars = Array.from(raw);
    const comment = commentStart(chars);
    const idx = chars.findIndex((c, i) => i < comment && IS_UNICODE_SPACE.test(c));
    if (idx >= 0) {
      for (const c of chars.slice(0, comment)) if (IS_UNICODE_SPACE.test(c)) this.kinds.add(c);
      this.first ??= { file: this.file, line, column: idx + 1 };
      this.lines.push(line);
    }
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

/** Index of the `#`/`!` that starts a comment (outside quotes, not escaped), or the length. */
function commentStart(chars: string[]): number {
  let quote = false;
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (c === '\\') i++;
    else if (c === '"') quote = !quote;
    else if (!quote && (c === '#' || c === '!')) return i;
  }
  return chars.length;
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
  const s = input.s;
  let start = 0;
  while (isBlank(s[start])) start++;
  // Indices of `input` kept, as runs [from, to): most lines are one run.
  const runs: number[] = [];
  let runFrom = start;
  let quote = false;
  let quoteAt = -1;
  let commentAt = -1;
  let continued = false;
  let backslashAt = -1;
  for (let i = start; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22 /* " */) {
      if (commentAt < 0) {
        quote = !quote;
        if (quote) quoteAt = i;
      }
      continue;
    }
    if (c === 0x5c /* \ */) {
      if (i + 1 >= s.length) {
        continued = true;
        backslashAt = i;
        break;
      }
      const next = s[i + 1];
      if (commentAt < 0 && !quote && (next === '#' || next === '!')) {
        // `\#` is a `#` that starts no comment: drop the backslash.
        runs.push(runFrom, i);
        runFrom = i + 1;
      }
      i++;
      continue;
    }
    if (!quote && commentAt < 0 && (c === 0x21 /* ! */ || c === 0x23 /* # */)) {
      // Text after the comment start is dropped, but a final `\` still counts (keepalived
      // keeps scanning for it), so `$X= \  # note \` continues a definition.
      commentAt = i;
    }
  }
  let end = commentAt >= 0 ? commentAt : continued ? backslashAt : s.length;
  runs.push(runFrom, end);
  // Trailing blanks go (from the last run: escapes are never blank).
  while (runs.length >= 2) {
    let to = runs[runs.length - 1]!;
    const from = runs[runs.length - 2]!;
    while (to > from && isBlank(s[to - 1])) to--;
    runs[runs.length - 1] = to;
    if (to > from || runs.length === 2) break;
    runs.length -= 2;
  }
  end = runs[runs.length - 1]!;
  let text: Chars;
  if (runs.length === 2 && !continued) text = sliceChars(input, runs[0]!, end);
  else {
    let out = '';
    const col: number[] = [];
    const via: (DefRef[] | undefined)[] | undefined = input.via ? [] : undefined;
    if (continued) runs.push(backslashAt, backslashAt + 1);
    for (let r = 0; r < runs.length; r += 2) {
      const from = runs[r]!;
      const to = runs[r + 1]!;
      out += s.slice(from, to);
      for (let k = from; k < to; k++) {
        col.push(colAt(input, k));
        via?.push(input.via![k]);
      }
    }
    text = { s: out, base: col[0] ?? input.base, col };
    if (via) text.via = via;
  }
  const result: Decommented = { text, continued };
  if (quote) result.unterminatedAt = colAt(input, quoteAt);
  return result;
}

/**
 * The `{`/`}` split at the end of keepalived's `read_line`: a line starting with a brace is that
 * brace alone; otherwise the line ends before the first brace outside double quotes. Returns the
 * line and the rest (blanks trimmed), which is read as the next line.
 */
export function splitAtBrace(c: Chars): { line: Chars; rest?: Chars } {
  const s = c.s;
  let p = -1;
  if (s[0] === '{' || s[0] === '}') p = 0;
  else {
    for (let i = 0; i < s.length; i++) {
      const ch = s[i];
      if (ch === '{' || ch === '}') {
        p = i;
        break;
      }
      if (ch === '"') {
        const close = s.indexOf('"', i + 1);
        if (close < 0) break; // an unmatched quote: keepalived stops looking
        i = close;
      }
    }
  }
  if (p < 0) return { line: trimEnd(c) };
  if (p === 0) {
    let r = 1;
    while (isBlank(s[r])) r++;
    const rest = trimEnd(sliceChars(c, r));
    return rest.s.length > 0 ? { line: sliceChars(c, 0, 1), rest } : { line: sliceChars(c, 0, 1) };
  }
  return { line: trimEnd(sliceChars(c, 0, p)), rest: trimEnd(sliceChars(c, p)) };
}

function trimEnd(c: Chars): Chars {
  let n = c.s.length;
  while (n > 0 && isBlank(c.s[n - 1])) n--;
  return n === c.s.length ? c : sliceChars(c, 0, n);
}

const isWhite = (code: number) => code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d || code === 0x0b || code === 0x0c;

/**
 * keepalived's `alloc_strvec_r`: words split on blanks; `"..."` is one word without its quotes
 * (no escapes); an unquoted word ends at blank or `"`. An unmatched quote ends the line (the
 * caller reports it).
 */
export function splitWords(c: Chars, file: string, line: number): { tokens: Token[]; unmatchedAt?: number } {
  // No closures in here: this runs for every line of every file.
  const s = c.s;
  const tokens: Token[] = [];
  let i = 0;
  while (i < s.length) {
    while (i < s.length && isWhite(s.charCodeAt(i))) i++;
    if (i >= s.length) break;
    let from = i;
    let to: number;
    const at = i;
    const quoted = s.charCodeAt(i) === 0x22;
    if (quoted) {
      const close = s.indexOf('"', i + 1);
      if (close < 0) return { tokens, unmatchedAt: colAt(c, i) };
      from = i + 1;
      to = close;
      i = close + 1;
    } else {
      while (i < s.length && !isWhite(s.charCodeAt(i)) && s.charCodeAt(i) !== 0x22) i++;
      to = i;
    }
    const t: Token = { text: s.slice(from, to), file, line, column: colAt(c, at), quoted };
    if (c.via) addVia(t, c.via, at, Math.max(to, at + 1));
    tokens.push(t);
  }
  return { tokens };
}

function addVia(t: Token, via: (DefRef[] | undefined)[], from: number, to: number): void {
  const refs: DefRef[] = [];
  let prev: DefRef[] | undefined;
  for (let k = from; k < to && k < via.length; k++) {
    const here = via[k];
    if (!here || here === prev) continue;
    prev = here;
    for (const r of here) if (refs.length < 4 && !refs.some((x) => x.name === r.name && x.line === r.line && x.file === r.file)) refs.push(r);
  }
  if (refs.length) t.via = refs;
}
