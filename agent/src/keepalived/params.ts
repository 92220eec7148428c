/**
 * keepalived's configuration language beyond keywords (keepalived.conf(5) ADVANCED
 * CONFIGURATION; lib/parser.c `check_definition`, `find_definition`, `replace_param`, `add_seq`,
 * `add_lst`), as pure functions over one line of text:
 *
 * - `$NAME=VALUE` defines a parameter (no blank before `=`; a value ending in `\` continues on
 *   the next lines: a multi-line definition, ended by a line without `\` or a blank line).
 * - `$NAME` followed by blank, `,`, `)` or the end of the line, and `${NAME}` anywhere, are
 *   replaced by the value, again and again inside the text just put in (late binding). An
 *   undefined name stays as written. A multi-line parameter is only replaced when its reference
 *   ends the line; its first line takes the reference's place, the others follow as lines.
 * - Predefined: `${_PWD}` (directory of the file being read), `${_INSTANCE}` (the config id),
 *   `${_RANDOM [MIN [MAX]]}`, `${_HASH}` (`#`), `${_BANG}` (`!`). Redefining them is allowed.
 * - `~SEQ(VAR, start, step, end)` / `~SEQx(...)` (hex) and `~LST(VAR, v1, v2...)` /
 *   `~LST({V1,V2}, {a,b}, {c,d})` repeat the rest of the line with VAR set to each value.
 *
 * Numbers in `~SEQ` are read as C's strtol(…, 0) reads them (0x.. hex, 0.. octal).
 */
import { columnsOf, type Chars, type DefRef } from './lexer.ts';

export interface Definition {
  name: string;
  /** The value, lines separated by "\n" for a multi-line definition. */
  value: string;
  /** The physical line each value character (UTF-16 unit) was written on. */
  lineOf: number[];
  file: string;
  line: number;
  multiline: boolean;
  /** For predefined parameters computed at each use (`_PWD`, `_RANDOM`). */
  fn?: (params: number[]) => string;
  /** How many numeric parameters `${NAME p1 p2}` may give (only `_RANDOM` takes any). */
  maxParams?: number;
}

const isAlpha = (c: string | undefined) => c !== undefined && /^[A-Za-z]$/.test(c);
const isAlnum = (c: string | undefined) => c !== undefined && /^[A-Za-z0-9]$/.test(c);
const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
const isBlank = (c: string | undefined) => c === ' ' || c === '\t';

/** `$NAME=VALUE`: the name, where the value starts, and whether it continues (`\`). */
export function parseDefinition(s: string): { name: string; valueFrom: number; continued: boolean; valueTo: number } | undefined {
  if (s[0] !== '$' || !(isAlpha(s[1]) || s[1] === '_')) return undefined;
  let p = 2;
  for (; p < s.length; p++) {
    if (s[p] === '=') break;
    if (!isAlnum(s[p]) && s[p] !== '_') return undefined;
  }
  if (s[p] !== '=') return undefined;
  const name = s.slice(1, p);
  let v = p + 1;
  while (isBlank(s[v])) v++;
  let to = s.length;
  const continued = to > v && s[to - 1] === '\\';
  if (continued) {
    to--;
    while (to > v && isBlank(s[to - 1])) to--;
  }
  return { name, valueFrom: v, valueTo: to, continued };
}

/** A `$NAME` / `${NAME [params]}` reference starting at `s[at]` (the `$`). */
export interface Reference {
  name: string;
  /** Index just after the reference. */
  end: number;
  params?: number[];
  braces: boolean;
}

/** keepalived's `find_definition` syntax part: what a `$` at `at` refers to, if anything. */
export function parseReference(s: string, at: number): Reference | undefined {
  let i = at + 1;
  const braces = s[i] === '{';
  if (braces) i++;
  if (!isAlpha(s[i]) && s[i] !== '_') return undefined;
  let j = i + 1;
  while (isAlnum(s[j]) || s[j] === '_') j++;
  const name = s.slice(i, j);
  if (!braces) {
    const next = s[j];
    if (next !== undefined && next !== ' ' && next !== '\t' && next !== ',' && next !== ')') return undefined;
    return { name, end: j, braces };
  }
  let k = j;
  let first = -1;
  let last = -1;
  while (s[k] === ' ' || isDigit(s[k])) {
    if (s[k] !== ' ') {
      if (first < 0) first = k;
      last = k;
    }
    k++;
  }
  if (first >= 0 && last + 1 !== k) return undefined;
  if (s[k] !== '}') return undefined;
  // keepalived replaces "${" + NAME + one character: with "${A }" the "}" stays (replace_param).
  const ref: Reference = { name, end: first >= 0 ? k + 1 : j + 1, braces };
  if (first >= 0) ref.params = s.slice(first, last + 1).split(/ +/).map(Number);
  return ref;
}

export type SubstituteOutcome =
  | { kind: 'unchanged' }
  | { kind: 'changed'; text: Chars; steps: number; multiline?: { rest: Chars } }
  /** The line would grow past `maxChars`: keepalived stops and keeps the line as it was so far. */
  | { kind: 'too-long'; text: Chars; name: string }
  /** More than `maxSteps` replacements: a definition that refers to itself. */
  | { kind: 'loop'; text: Chars; name: string };

export interface SubstituteOptions {
  lookup(name: string): Definition | undefined;
  /** Byte limit of the line (keepalived's buffer). */
  maxBytes: number;
  maxSteps: number;
}

/**
 * The definitions behind a piece of text, innermost first: a few distinct ones are enough to
 * explain a bad value, and a parameter expanding itself must not grow the list without end.
 */
function chain(inner: DefRef, outer: DefRef[] | undefined): DefRef[] {
  const out = [inner];
  for (const r of outer ?? []) {
    if (out.length >= 4) break;
    if (!out.some((x) => x.name === r.name && x.line === r.line && x.file === r.file)) out.push(r);
  }
  return out;
}

/**
 * keepalived's `replace_param` on one line: every reference to a defined parameter replaced,
 * scanning again from the start of each inserted value (so values may refer to parameters
 * defined later, and undefined ones stay). Each inserted character keeps the column of the
 * reference it replaced and gains the parameter's definition in `via`.
 */
export function substitute(text: Chars, opts: SubstituteOptions): SubstituteOutcome {
  if (!text.s.includes('$')) return { kind: 'unchanged' };
  let s = text.s;
  let col: number[] | undefined;
  let via: (DefRef[] | undefined)[] | undefined;
  let bytes = Buffer.byteLength(s);
  let steps = 0;
  let rest: Chars | undefined;
  const current = (): Chars => (col ? { s, base: col[0] ?? text.base, col, via: via! } : text);
  for (let pos = s.indexOf('$'); pos !== -1 && pos + 1 < s.length; pos = s.indexOf('$', pos)) {
    const ref = parseReference(s, pos);
    const def = ref ? opts.lookup(ref.name) : undefined;
    const atEnd = ref !== undefined && ref.end === s.length;
    if (!ref || !def || (def.multiline && !atEnd) || (ref.params && !def.maxParams)) {
      pos++;
      continue;
    }
    if (++steps > opts.maxSteps) return { kind: 'loop', text: current(), name: def.name };
    col ??= columnsOf(text).slice();
    via ??= text.via ? text.via.slice() : new Array<DefRef[] | undefined>(s.length).fill(undefined);
    const value = def.fn ? def.fn(ref.params ?? []) : def.value;
    const valueLines = def.fn ? undefined : def.lineOf;
    const useCol = col[pos]!;
    const outer = via[pos];
    // One shared list per definition line: neighbouring characters compare equal by reference.
    const byLine = new Map<number, DefRef[]>();
    const refOf = (i: number) => {
      const line = valueLines?.[i] ?? def.line;
      let r = byLine.get(line);
      if (!r) byLine.set(line, (r = chain({ name: def.name, file: def.file, line }, outer)));
      return r;
    };
    let insert = value;
    if (def.multiline) {
      const nl = value.indexOf('\n');
      if (nl !== -1) {
        insert = value.slice(0, nl);
        const restText = value.slice(nl + 1);
        rest = {
          s: restText,
          base: useCol,
          col: new Array<number>(restText.length).fill(useCol),
          via: Array.from({ length: restText.length }, (_, i) => refOf(nl + 1 + i)),
        };
      } else rest = undefined;
    }
    const removed = Buffer.byteLength(s.slice(pos, ref.end));
    const added = Buffer.byteLength(insert);
    if (bytes - removed + added > opts.maxBytes) return { kind: 'too-long', text: current(), name: def.name };
    s = s.slice(0, pos) + insert + s.slice(ref.end);
    const insCol = new Array<number>(insert.length);
    const insVia = new Array<DefRef[]>(insert.length);
    for (let i = 0; i < insert.length; i++) {
      insCol[i] = useCol;
      insVia[i] = refOf(i);
    }
    col = col.slice(0, pos).concat(insCol, col.slice(ref.end));
    via = via.slice(0, pos).concat(insVia, via.slice(ref.end));
    bytes = bytes - removed + added;
    // A value that is a `~SEQ`/`~LST` line is handled as one once substituted (keepalived stops here).
    if (/^[ \t]*~/.test(insert)) break;
  }
  if (steps === 0) return { kind: 'unchanged' };
  return rest ? { kind: 'changed', text: current(), steps, multiline: { rest } } : { kind: 'changed', text: current(), steps };
}

/** C's strtol(s, &end, 0) on `s` from `at`: value and where the number ended (at itself if none). */
export function strtol(s: string, at: number): { value: number; end: number } {
  let i = at;
  while (i < s.length && /\s/.test(s[i]!)) i++;
  let sign = 1;
  if (s[i] === '+' || s[i] === '-') {
    if (s[i] === '-') sign = -1;
    i++;
  }
  let base = 10;
  if (s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X') && /[0-9a-fA-F]/.test(s[i + 2] ?? '')) {
    base = 16;
    i += 2;
  } else if (s[i] === '0') base = 8;
  const digits = base === 16 ? /[0-9a-fA-F]/ : base === 8 ? /[0-7]/ : /[0-9]/;
  const from = i;
  while (i < s.length && digits.test(s[i]!)) i++;
  if (i === from) return { value: 0, end: at };
  return { value: sign * parseInt(s.slice(from, i), base), end: i };
}

/** One `~SEQ`/`~LST` line: the variables and each set of values, lazily for `~SEQ`. */
export interface Sequence {
  vars: string[];
  /** The next values (`last` when no more follow), or undefined once exhausted. */
  next(): { values: string[]; last: boolean } | undefined;
  /** Where the repeated text starts in the line. */
  textFrom: number;
}

/**
 * keepalived's `add_seq`: `~SEQ(VAR, [start,] [step,] end)` or `~SEQx(...)`. The numbers may use
 * parameters (substituted by `expand`). Returns the sequence or what is wrong with it.
 */
export function parseSeq(text: string, expand: (params: string) => string): Sequence | string {
  let p = 4;
  const hex = text[p] === 'x';
  if (hex) p++;
  while (isBlank(text[p])) p++;
  if (text[p] !== '(') return 'expected "(" after ~SEQ';
  p++;
  while (isBlank(text[p])) p++;
  const varFrom = p;
  while (p < text.length && !' \t,)'.includes(text[p]!)) p++;
  const variable = text.slice(varFrom, p);
  while (isBlank(text[p])) p++;
  if (p >= text.length || text[p] === ')' || variable === '') return 'expected ~SEQ(VAR, [start,] [step,] end)';
  p++;
  while (isBlank(text[p])) p++;
  const close = text.indexOf(')', p);
  if (close === -1) return 'no ")" closes the ~SEQ parameters';
  // keepalived copies the numbers into a 64-byte buffer.
  if (close + 1 - p + 1 > 64) return '~SEQ parameter strings too long';
  const nums = expand(text.slice(p, close + 1));
  const a = strtol(nums, 0);
  let q = skipBlanks(nums, a.end);
  let start: number;
  let step: number;
  let end: number;
  if (nums[q] === ')') {
    end = a.value;
    step = end < 1 ? -1 : 1;
    start = end < 0 ? -1 : 1;
  } else {
    if (nums[q] !== ',') return `invalid ~SEQ numbers "${nums}"`;
    const b = strtol(nums, q + 1);
    q = skipBlanks(nums, b.end);
    if (nums[q] === ')') {
      start = a.value;
      end = b.value;
      step = start <= end ? 1 : -1;
    } else {
      if (nums[q] !== ',') return `invalid ~SEQ numbers "${nums}"`;
      const c = strtol(nums, q + 1);
      q = skipBlanks(nums, c.end);
      if (nums[q] !== ')') return `invalid ~SEQ numbers "${nums}"`;
      start = a.value;
      step = b.value;
      end = c.value;
      if (step === 0 || (start < end && step < 0) || (start > end && step > 0)) return `invalid ~SEQ values: from ${start} by ${step} never reaches ${end}`;
    }
  }
  if (hex && (start < 0 || end < 0)) return '~SEQx is only valid for positive numbers';
  let textFrom = close + 1;
  while (isBlank(text[textFrom])) textFrom++;
  let cur: number | undefined = start;
  return {
    vars: [variable],
    textFrom,
    next: () => {
      if (cur === undefined) return undefined;
      const v = cur;
      cur += step;
      if ((step > 0 && cur > end) || (step < 0 && cur < end)) cur = undefined;
      return { values: [hex ? v.toString(16) : String(v)], last: cur === undefined };
    },
  };
}

/**
 * keepalived's `add_lst`: `~LST(VAR, v1, v2, ...)` or `~LST({V1, V2}, {a, b}, {c, d})`; a
 * set with fewer values leaves the remaining variables empty.
 */
export function parseLst(text: string): Sequence | string {
  const bad = 'expected ~LST(VAR, value, ...) or ~LST({VAR1, VAR2}, {v1, v2}, ...)';
  let p = 4;
  while (isBlank(text[p])) p++;
  if (text[p] !== '(') return bad;
  p++;
  while (isBlank(text[p])) p++;
  let endChar = ',';
  if (text[p] === '{') {
    endChar = '}';
    p++;
    while (isBlank(text[p])) p++;
  }
  const vars: string[] = [];
  for (;;) {
    const from = p;
    while (p < text.length && !' \t,}'.includes(text[p]!)) p++;
    vars.push(text.slice(from, p));
    while (isBlank(text[p])) p++;
    if (text[p] === endChar) break;
    if (text[p] !== ',') return bad;
    p++;
    while (isBlank(text[p])) p++;
  }
  if (text[p] === '}') {
    p++;
    while (isBlank(text[p])) p++;
  }
  if (text[p] !== ',') return bad;
  p++;
  while (isBlank(text[p])) p++;
  const sets: string[][] = [];
  for (;;) {
    let end = ',';
    if (text[p] === '{') {
      end = '}';
      p++;
      while (isBlank(text[p])) p++;
    }
    const values: string[] = [];
    for (;;) {
      const from = p;
      while (p < text.length && !' \t,})'.includes(text[p]!)) p++;
      values.push(text.slice(from, p));
      while (isBlank(text[p])) p++;
      if (text[p] === end || (text[p] === ')' && end === ',')) break;
      if (text[p] !== ',') return bad;
      p++;
      while (isBlank(text[p])) p++;
      if (values.length >= vars.length) return '~LST specification has too many values';
    }
    while (values.length < vars.length) values.push('');
    sets.push(values);
    if (text[p] === '}' && end === '}') {
      p++;
      while (isBlank(text[p])) p++;
    }
    if (text[p] === ')') break;
    if (text[p] !== ',') return bad;
    p++;
    while (isBlank(text[p])) p++;
  }
  p++;
  while (isBlank(text[p])) p++;
  let i = 0;
  return {
    vars,
    textFrom: p,
    next: () => (i < sets.length ? { values: sets[i++]!, last: i === sets.length } : undefined),
  };
}

function skipBlanks(s: string, i: number): number {
  while (isBlank(s[i])) i++;
  return i;
}
