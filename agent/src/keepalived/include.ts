/**
 * The keepalived.conf line reader: files and their `include`s, parameters, conditional lines and
 * sequences, in keepalived 2.2.7's order (lib/parser.c `read_line`), producing one stream of
 * lexed statements. Each next line comes from, in this order: what followed a `{` or `}` on the
 * line before; the next value of the innermost `~SEQ`/`~LST`; the next line of a multi-line
 * parameter being expanded; the next physical line of the file being read. Then:
 *
 * 1. inside a multi-line `$NAME= \` definition, the line is added to it;
 * 2. `@id ...` is kept (without `@id`) only when id is the config id, `@^id ...` only when not;
 * 3. `$NAME=value` defines a parameter; `~SEQ(...)`/`~LST(...)` start a sequence;
 * 4. parameters are substituted (params.ts), comments removed again, and 2-4 repeated while the
 *    result starts with `@` or still holds a `$`;
 * 5. `include PATTERN` (and `includer|includem|includew|includeb|includea`) reads the matching
 *    files in place, so an include may sit inside a block, use a parameter or be conditional;
 * 6. the line is cut at its first `{` or `}` (lexer.ts) and split into words.
 *
 * Includes follow keepalived: PATTERN is the rest of the line as written (quotes are not
 * removed), brace-expanded and globbed relative to the including file's directory; only regular,
 * non-executable files are read. A missing file, a pattern matching nothing, a directory or an
 * executable match are skipped; whether that is an error or a warning depends on the include
 * variant and `include_check`, exactly as keepalived decides whether its `-t` fails:
 * `includer` = read errors, `includem` = + missing files, `includew` = + no wildcard match,
 * `includeb` = read errors + missing brace alternatives, `includea` = all. A plain `include` of a
 * missing file only logs in keepalived, so it is a warning here.
 *
 * Vigil adds what keepalived lacks: include cycles are errors (keepalived recurses until it runs
 * out of file descriptors), `$A=${A}` is an error (keepalived spins forever), a line that
 * substitution grows past 1023 bytes is an error and dropped (keepalived goes on with the
 * half-substituted text), kernel pseudo-files under /proc and /sys are refused (keepalived reads
 * /proc/kmsg and blocks), and every size is bounded (limits.ts).
 */
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { diag, type Diagnostic, type Location } from './diagnostics.ts';
import { memoryConfigFs, type ConfigFs } from './fs.ts';
import { expandBraces, globMatch, type GlobBudget } from './glob.ts';
import { byteLength, charsOf, colAt, decomment, sliceChars, splitAtBrace, splitWords, textOf, UnicodeSpaces, type Chars, type LexLine, type LexResult, type Token } from './lexer.ts';
import {
  MAX_BRACE_PATTERNS, MAX_EXPANSION_STEPS, MAX_FILE_BYTES, MAX_FILES, MAX_GLOB_DIR_READS, MAX_GLOB_MATCHES, MAX_GLOB_STATS, MAX_INCLUDE_DEPTH,
  MAX_LINE_BYTES, MAX_PIECES, MAX_STATEMENTS, MAX_SUBSTITUTIONS_PER_LINE, MAX_TOTAL_BYTES,
} from './limits.ts';
import { parseDefinition, parseLst, parseSeq, substitute, type Definition, type Sequence } from './params.ts';

// keepalived's include_check bits (lib/parser.h include_t).
const INCLUDE_R = 1; // a matched file cannot be read / is not a regular non-executable file
const INCLUDE_M = 2; // a named file or directory is missing
const INCLUDE_W = 4; // a wildcard matched nothing
const INCLUDE_B = 8; // some brace alternative is missing
const VARIANTS = new Map([
  ['r', INCLUDE_R],
  ['m', INCLUDE_R | INCLUDE_M],
  ['w', INCLUDE_R | INCLUDE_M | INCLUDE_W],
  ['b', INCLUDE_R | INCLUDE_B],
  ['a', INCLUDE_R | INCLUDE_M | INCLUDE_W | INCLUDE_B],
]);

export interface LoadResult {
  lines: LexLine[];
  diagnostics: Diagnostic[];
  /** Every file read, entry file first. */
  files: string[];
  /** Reading stopped at a bound: what follows was not read (blocks left open are no finding). */
  truncated?: true;
}

export interface LoadOptions {
  /** keepalived's `-i`/`--config-id`: what `@id` lines are compared with. Default: defaultConfigId(). */
  configId?: string;
  /** Source of `${_RANDOM}` (0 <= x < 1). */
  random?: () => number;
}

/** keepalived's default config id: the host name up to its first dot. */
export function defaultConfigId(): string {
  return hostname().split('.')[0] ?? '';
}

interface Buf {
  text: Chars;
  file: string;
  line: number;
  afterBackslash?: boolean;
  /** The rest of the line before, after a `{` or `}`: lexed into the same LexLine. */
  residue?: boolean;
}

interface OpenFile {
  path: string;
  display: string;
  lines: string[];
  next: number;
  /** The rest of an over-long physical line, read as further lines (keepalived's fgets does). */
  pieces: { text: string; column: number }[];
  pieceLine: number;
  spaces: UnicodeSpaces;
  /** The file has Unicode spaces somewhere (most have none: no per-line test then). */
  unicodeSpaces: boolean;
  prevContinued: boolean;
  /** The include that opened this file, for its remaining matches and its checks. */
  include?: { remaining: string[]; type: number; savedCheck: number; at: Location; pattern: string };
}

interface ActiveSeq {
  seq: Sequence;
  text: Chars;
  file: string;
  line: number;
}

interface Pending {
  rest: Chars;
  file: string;
  line: number;
}

const isBlank = (c: string | undefined) => c === ' ' || c === '\t';
const isSpace = (c: string | undefined) => c !== undefined && ' \t\n\r\f\v'.includes(c);

class Reader {
  readonly out: LoadResult = { lines: [], diagnostics: [], files: [] };
  private readonly defs = new Map<string, Definition>();
  private readonly files: OpenFile[] = [];
  private residue: Buf | undefined;
  private readonly seqs: ActiveSeq[] = [];
  private multilineSeqDepth = 0;
  private nextPtr: Pending | undefined;
  private readonly multilineStack: (Pending & { seqDepth: number })[] = [];
  private defining: Definition | undefined;
  private includeCheck = 0;
  private steps = 0;
  private totalBytes = 0;
  private stopped = false;
  private filesRefused = false;
  private readonly globBudget: GlobBudget = { dirReads: MAX_GLOB_DIR_READS, matches: MAX_GLOB_MATCHES, stats: MAX_GLOB_STATS };

  constructor(
    private readonly fs: ConfigFs,
    private readonly configId: string,
    random: () => number,
  ) {
    const std = (name: string, value: string, fn?: (p: number[]) => string, maxParams = 0) =>
      this.defs.set(name, { name, value, lineOf: [], file: '(predefined)', line: 0, multiline: false, ...(fn && { fn }), maxParams });
    std('_PWD', '', () => dirname(this.files[this.files.length - 1]?.path ?? resolve('.')));
    std('_INSTANCE', '', () => this.configId);
    std('_RANDOM', '', (p) => {
      const min = p[0] ?? 0;
      const max = p[1] ?? 32767;
      return String(min + Math.floor(random() * Math.max(1, max - min + 1)));
    }, 2);
    std('_HASH', '#');
    std('_BANG', '!');
  }

  private report(d: Diagnostic): void {
    this.out.diagnostics.push(d);
  }

  /** Stops reading: a bound was hit. */
  private stop(at: Location, message: string): void {
    if (!this.stopped) this.report(diag('error', 'limit', at, message, { hint: 'nothing after this point was read' }));
    this.stopped = true;
    this.out.truncated = true;
  }

  openEntry(path: string, display: string, text: string): void {
    this.openFile(path, display, text);
  }

  private openFile(path: string, display: string, text: string, include?: OpenFile['include']): void {
    this.out.files.push(path);
    this.totalBytes += Buffer.byteLength(text);
    const spaces = new UnicodeSpaces(display);
    this.files.push({ path, display, lines: text.split('\n'), next: 0, pieces: [], pieceLine: 0, spaces, unicodeSpaces: spaces.present(text), prevContinued: false, ...(include && { include }) });
  }

  private closeFile(): void {
    const f = this.files.pop()!;
    const spaces = f.spaces.diagnostic();
    if (spaces) this.report(spaces);
    if (f.include) {
      // keepalived restores include_check when a file it opened for an include ends.
      this.includeCheck = f.include.savedCheck;
      this.openNextMatch(f.include);
    }
  }

  /** The next non-blank physical line, decommented; undefined at the end of every file. */
  private nextPhysical(): Buf | undefined {
    while (this.files.length > 0 && !this.stopped) {
      const f = this.files[this.files.length - 1]!;
      let raw: string;
      let lineNo: number;
      let column = 1;
      if (f.pieces.length > 0) {
        const piece = f.pieces.shift()!;
        raw = piece.text;
        column = piece.column;
        lineNo = f.pieceLine;
      } else {
        if (f.next >= f.lines.length) {
          this.closeFile();
          continue;
        }
        lineNo = f.next + 1;
        raw = f.lines[f.next++]!;
        // keepalived drops the line end and any \r before it.
        let end = raw.length;
        while (end > 0 && (raw.charCodeAt(end - 1) === 13 || raw.charCodeAt(end - 1) === 10)) end--;
        if (end !== raw.length) raw = raw.slice(0, end);
        if (raw.length === 0) {
          // A blank line ends a multi-line definition (keepalived checks before decommenting).
          if (this.defining) this.endDefinition();
          continue;
        }
        const nul = raw.indexOf('\0');
        if (nul !== -1) {
          this.report(diag('warning', 'invalid-value', { file: f.display, line: lineNo, column: Array.from(raw.slice(0, nul)).length + 1 }, 'NUL byte: keepalived ignores the rest of this line'));
          raw = raw.slice(0, nul);
        }
        if (f.unicodeSpaces) raw = f.spaces.normalise(raw, lineNo);
        // A UTF-16 unit is at most 3 UTF-8 bytes: only a long line needs counting.
        const bytes = raw.length * 3 > MAX_LINE_BYTES ? byteLength(raw) : raw.length;
        if (bytes > MAX_LINE_BYTES) {
          const pieces = splitBytes(raw, MAX_LINE_BYTES);
          this.report(diag('error', 'limit', { file: f.display, line: lineNo, column: pieces[0]!.length + 1 },
            `line is ${bytes} bytes long; keepalived reads at most ${MAX_LINE_BYTES} bytes of a line and reads the rest as ${pieces.length - 1} more line${pieces.length > 2 ? 's' : ''}`,
            { hint: 'shorten the line, e.g. move a long command into a script' }));
          let col = 1;
          const all = pieces.map((text) => {
            const piece = { text, column: col };
            col += text.length;
            return piece;
          });
          raw = all[0]!.text;
          f.pieces = all.slice(1);
          f.pieceLine = lineNo;
        }
      }
      const d = decomment(charsOf(raw, column));
      if (d.unterminatedAt !== undefined) {
        this.report(diag('error', 'unterminated-quote', { file: f.display, line: lineNo, column: d.unterminatedAt }, 'unterminated quoted string', { expected: 'a closing `"` on the same line' }));
      }
      const afterBackslash = f.prevContinued;
      f.prevContinued = d.continued;
      if (d.text.s.length === 0) continue;
      const buf: Buf = { text: d.text, file: f.display, line: lineNo };
      if (afterBackslash) buf.afterBackslash = true;
      return buf;
    }
    return undefined;
  }

  /** keepalived's `read_line`: the next statement, `{` or `}`, or undefined at the end. */
  readLine(): Buf | undefined {
    for (;;) {
      if (this.stopped) return undefined;
      let buf: Buf | undefined;
      let produced = false;
      if (this.residue) {
        buf = this.residue;
        this.residue = undefined;
      } else if (this.seqs.length > this.multilineSeqDepth) {
        buf = this.stepSeq();
        if (!buf) continue;
        produced = true;
      } else if (this.nextPtr) {
        buf = this.nextSegment();
        produced = true;
      } else {
        buf = this.nextPhysical();
        if (!buf) return undefined;
      }
      if (produced && ++this.steps > MAX_EXPANSION_STEPS) {
        this.stop(locOf(buf, buf.text, 0), `more than ${MAX_EXPANSION_STEPS} lines produced by ~SEQ, ~LST and multi-line parameters`);
        return undefined;
      }
      if (this.defining) {
        this.continueDefinition(buf);
        continue;
      }
      const text = this.process(buf);
      if (!text || text.s.length === 0) continue;
      buf.text = text;
      if (this.tryInclude(buf)) continue;
      const { line, rest } = splitAtBrace(text);
      if (rest) this.residue = { text: rest, file: buf.file, line: buf.line, residue: true };
      if (line.s.length === 0) continue;
      buf.text = line;
      return buf;
    }
  }

  /** Steps 2-4 of the header: conditionals, definitions, sequences, substitution. */
  private process(buf: Buf): Chars | undefined {
    let t = buf.text;
    let substitutions = 0;
    for (;;) {
      if (t.s[0] === '@') {
        const negate = t.s[1] === '^';
        const from = negate ? 2 : 1;
        let sp = from;
        while (sp < t.s.length && !isBlank(t.s[sp])) sp++;
        if (sp >= t.s.length) {
          this.report(diag('warning', 'invalid-value', locOf(buf, t, 0), `conditional line "${clip(textOf(t))}" has nothing after its config id; keepalived ignores it`));
          return undefined;
        }
        const id = t.s.slice(from, sp);
        if ((id !== this.configId) !== negate) return undefined;
        while (isBlank(t.s[sp])) sp++;
        t = sliceChars(t, sp);
      }
      if (t.s[0] === '$') {
        const d = parseDefinition(t.s);
        if (d) {
          this.define(d, t, buf);
          return undefined;
        }
      }
      const head = t.s.slice(0, 4);
      if (head === '~SEQ' || head === '~LST') {
        this.addSeq(t, buf, head === '~SEQ');
        return undefined;
      }
      if (t.s[0] === '~') return t;
      if (!t.s.includes('$')) return t;
      const r = substitute(t, { lookup: (n) => this.defs.get(n), maxBytes: MAX_LINE_BYTES, maxSteps: MAX_SUBSTITUTIONS_PER_LINE - substitutions });
      if (r.kind === 'unchanged') return t;
      if (r.kind === 'too-long') {
        // keepalived stops substituting and goes on with the half-substituted line, whose pieces
        // are substituted again (endlessly, for $L=${L}${L}); Vigil reports it and drops the line.
        this.report(diag('error', 'limit', locOf(buf, t, 0), `substituting $${r.name} makes the line longer than ${MAX_LINE_BYTES} bytes (keepalived's line buffer); the line is not read`, { hint: 'shorten the parameter value or split the line' }));
        return undefined;
      }
      if (r.kind === 'loop') {
        const def = this.defs.get(r.name);
        this.report(diag('error', 'limit', locOf(buf, t, 0), `parameter $${r.name} keeps expanding (more than ${MAX_SUBSTITUTIONS_PER_LINE} substitutions in one line): a definition that refers to itself never ends in keepalived`, {
          hint: def && def.line > 0 ? `look at the definition of $${r.name} (${def.file}:${def.line})` : 'look for a parameter whose value contains its own name',
        }));
        return undefined;
      }
      substitutions += r.steps;
      if (r.multiline) this.startMultiline(r.multiline.rest, buf);
      // keepalived decomments again: a `#` or `!` a parameter put in outside quotes starts a comment.
      t = decomment(r.text).text;
      if (t.s[0] === '@' || t.s.includes('$')) continue;
      return t;
    }
  }

  private define(d: NonNullable<ReturnType<typeof parseDefinition>>, t: Chars, buf: Buf): void {
    let value = t.s.slice(d.valueFrom, d.valueTo);
    if (d.continued && value.length > 0) value += '\n';
    const def: Definition = { name: d.name, value, lineOf: new Array<number>(value.length).fill(buf.line), file: buf.file, line: buf.line, multiline: d.continued };
    this.defs.set(d.name, def);
    if (d.continued) this.defining = def;
  }

  /** A line of a multi-line definition: added, ending the definition unless it ends in `\`. */
  private continueDefinition(buf: Buf): void {
    const def = this.defining!;
    let s = buf.text.s;
    let still = false;
    if (s.endsWith('\\')) {
      s = `${s.slice(0, -1).replace(/[ \t]+$/, '')}\n`;
      still = true;
    } else this.endDefinition();
    if (s.length >= 2 || (s.length > 0 && !still)) {
      def.value += s;
      for (let i = 0; i < s.length; i++) def.lineOf.push(buf.line);
    }
  }

  private endDefinition(): void {
    const def = this.defining!;
    if (def.value.length === 0) def.multiline = false;
    this.defining = undefined;
  }

  private startMultiline(rest: Chars, buf: Buf): void {
    if (this.nextPtr) this.multilineStack.push({ ...this.nextPtr, seqDepth: this.multilineSeqDepth });
    this.multilineSeqDepth = this.seqs.length;
    this.nextPtr = { rest, file: buf.file, line: buf.line };
  }

  private nextSegment(): Buf {
    const p = this.nextPtr!;
    const nl = p.rest.s.indexOf('\n');
    let seg: Chars;
    if (nl === -1) {
      seg = p.rest;
      const popped = this.multilineStack.pop();
      if (popped) {
        this.nextPtr = { rest: popped.rest, file: popped.file, line: popped.line };
        this.multilineSeqDepth = popped.seqDepth;
      } else {
        this.nextPtr = undefined;
        this.multilineSeqDepth = 0;
      }
    } else {
      seg = sliceChars(p.rest, 0, nl);
      p.rest = sliceChars(p.rest, nl + 1);
    }
    return { text: seg, file: p.file, line: p.line };
  }

  private addSeq(t: Chars, buf: Buf, isSeq: boolean): void {
    const parsed = isSeq
      ? parseSeq(t.s, (params) => {
          const r = substitute(charsOf(params), { lookup: (n) => this.defs.get(n), maxBytes: 64, maxSteps: 64 });
          return r.kind === 'unchanged' ? params : textOf(r.text);
        })
      : parseLst(t.s);
    if (typeof parsed === 'string') {
      this.report(diag('error', 'invalid-value', locOf(buf, t, 0), `invalid ${isSeq ? '~SEQ' : '~LST'} specification "${clip(textOf(t))}": ${parsed}`, {
        expected: isSeq ? '~SEQ(VAR, [start,] [step,] end) TEXT' : '~LST(VAR, v1, v2, ...) TEXT or ~LST({V1, V2}, {a, b}, {c, d}) TEXT',
      }));
      return;
    }
    this.seqs.push({ seq: parsed, text: sliceChars(t, parsed.textFrom), file: buf.file, line: buf.line });
  }

  private stepSeq(): Buf | undefined {
    const a = this.seqs[this.seqs.length - 1]!;
    const next = a.seq.next();
    if (!next || next.last) this.seqs.pop();
    if (!next) return undefined;
    a.seq.vars.forEach((name, i) => {
      const value = next.values[i] ?? '';
      this.defs.set(name, { name, value, lineOf: new Array<number>(value.length).fill(a.line), file: a.file, line: a.line, multiline: false });
    });
    return { text: a.text, file: a.file, line: a.line };
  }

  /** Step 5: `include` and its variants. */
  private tryInclude(buf: Buf): boolean {
    const s = buf.text.s;
    if (!s.startsWith('include')) return false;
    if (s.length === 7 || (s.length === 8 && VARIANTS.has(s[7]!))) {
      this.report(diag('error', 'missing-argument', locOf(buf, buf.text, 0), `"${s}" needs a file name or glob pattern`, { expected: 'a path such as /etc/keepalived/conf.d/*.conf' }));
      return true;
    }
    let type: number;
    let from: number;
    if (isSpace(s[7])) {
      type = 0;
      from = 8;
    } else if (VARIANTS.has(s[7]!) && isSpace(s[8])) {
      type = VARIANTS.get(s[7]!)!;
      from = 9;
    } else return false;
    while (isBlank(s[from])) from++;
    const pattern = s.slice(from);
    const at = locOf(buf, buf.text, Math.min(from, s.length - 1));
    if (pattern === '') {
      this.report(diag('error', 'missing-argument', locOf(buf, buf.text, 0), `"${s.slice(0, from).trim()}" needs a file name or glob pattern`, { expected: 'a path such as /etc/keepalived/conf.d/*.conf' }));
      return true;
    }
    this.include(pattern, type, at);
    return true;
  }

  private include(pattern: string, type: number, at: Location): void {
    const check = this.includeCheck | type;
    const severity = (flag: number) => ((check & flag) !== 0 ? 'error' : 'warning');
    const keepalivedSays = (flag: number) => ((check & flag) !== 0 ? 'an error for keepalived too' : 'keepalived only logs it with a plain "include"');
    const alternatives = expandBraces(pattern, MAX_BRACE_PATTERNS);
    if (!alternatives) {
      this.report(diag('error', 'limit', at, `include pattern "${clip(pattern)}" expands to more than ${MAX_BRACE_PATTERNS} alternatives; it is not read`, { hint: 'list the files with fewer {a,b} groups, or use one wildcard' }));
      return;
    }
    const baseDir = dirname(this.files[this.files.length - 1]?.path ?? resolve('.'));
    const budget = this.globBudget;
    const matches: string[] = [];
    let missing = false;
    let wildcard = false;
    for (const alt of alternatives) {
      const g = globMatch(resolve(baseDir, alt), this.fs, budget);
      if (g.exhausted) {
        this.report(diag('error', 'limit', at, `include pattern "${clip(pattern)}" is not read: the includes of this configuration match more than ${MAX_GLOB_MATCHES} paths, or need more than ${MAX_GLOB_DIR_READS} directory listings or ${MAX_GLOB_STATS} file lookups`, { hint: 'make the pattern name the configuration directory, e.g. /etc/keepalived/conf.d/*.conf' }));
        return;
      }
      matches.push(...g.paths);
      missing ||= g.missing;
      wildcard ||= g.wildcard;
    }
    const brace = alternatives.length > 1 || pattern !== alternatives[0];
    if (matches.length === 0) {
      if (missing) {
        const flag = brace ? INCLUDE_B : INCLUDE_M;
        const looked = alternatives.length === 1 ? ` (looked for ${resolve(baseDir, alternatives[0]!)})` : '';
        this.report(diag(severity(flag), 'include-missing', at, `included file "${clip(pattern)}" does not exist${looked}; ${keepalivedSays(flag)}`, {
          hint: /^".*"$/.test(pattern) ? 'keepalived does not remove quotes from an include path: write it without them' : 'relative include paths are resolved from the directory of the including file',
        }));
      } else if (wildcard) {
        this.report(diag(severity(INCLUDE_W), 'include-missing', at, `include pattern "${clip(pattern)}" matches no file`));
      }
      return;
    }
    if (missing) {
      this.report(diag(severity(INCLUDE_B), 'include-missing', at, `some files named by "${clip(pattern)}" do not exist; ${keepalivedSays(INCLUDE_B)}`));
      if (check & INCLUDE_B) return;
    }
    this.openNextMatch({ remaining: matches, type, savedCheck: this.includeCheck, at, pattern });
  }

  /** Opens the next readable file an include matched (keepalived's `open_conf_file`). */
  private openNextMatch(inc: NonNullable<OpenFile['include']>): void {
    const check = this.includeCheck | inc.type;
    const severity = (check & INCLUDE_R) !== 0 ? 'error' : 'warning';
    const skipped = (check & INCLUDE_R) !== 0 ? 'an error for keepalived too' : 'keepalived skips it';
    while (inc.remaining.length > 0 && !this.stopped) {
      const path = inc.remaining.shift()!;
      const info = this.fs.stat(path);
      const problem =
        info.kind === 'directory' ? 'is a directory'
        : info.kind === 'other' ? 'is not a regular file (a device, FIFO or socket)'
        : info.kind === 'missing' ? 'does not exist'
        : info.refused ? `is not read: ${info.refused} (reading one can block or drain kernel state)`
        : info.executable ? 'is executable: keepalived only reads regular non-executable files'
        : undefined;
      if (problem) {
        // keepalived would open a pseudo-file and may hang on it: never a config it runs.
        if (info.refused) this.report(diag('error', 'include-error', inc.at, `included path ${path} ${problem}`));
        else this.report(diag(severity, 'include-error', inc.at, `included path ${path} ${problem}; ${skipped}`));
        continue;
      }
      if (this.files.some((f) => f.path === path)) {
        this.report(diag('error', 'include-cycle', inc.at, `include cycle: ${[...this.files.map((f) => f.path), path].join(' -> ')}`, { hint: 'remove the include that leads back to a file already being read' }));
        continue;
      }
      if (this.files.length > MAX_INCLUDE_DEPTH) {
        this.report(diag('error', 'limit', inc.at, `includes nested more than ${MAX_INCLUDE_DEPTH} deep; ${path} is not read`));
        continue;
      }
      if (this.out.files.length >= MAX_FILES) {
        if (!this.filesRefused) this.report(diag('error', 'limit', inc.at, `more than ${MAX_FILES} files included; ${path} and the rest are not read`));
        this.filesRefused = true;
        return;
      }
      let text: string;
      try {
        text = this.fs.readFile(path, Math.min(MAX_FILE_BYTES, MAX_TOTAL_BYTES - this.totalBytes));
      } catch (err) {
        const limited = info.size > MAX_FILE_BYTES || this.totalBytes + info.size > MAX_TOTAL_BYTES;
        this.report(diag(limited ? 'error' : severity, limited ? 'limit' : 'include-error', inc.at,
          limited ? `${path} is ${info.size} bytes: over the ${info.size > MAX_FILE_BYTES ? `${MAX_FILE_BYTES}-byte limit for one file` : `${MAX_TOTAL_BYTES}-byte limit for all files together`}; it is not read`
            : `cannot read included file ${path}: ${(err as Error).message}; ${skipped}`));
        continue;
      }
      this.openFile(path, path, text, inc);
      return;
    }
  }

  /** keepalived's `include_check` keyword (global_defs) changes the checks of later includes. */
  includeCheckKeyword(tokens: Token[]): void {
    if (tokens.length === 1) {
      this.includeCheck = INCLUDE_R | INCLUDE_M | INCLUDE_W | INCLUDE_B;
      return;
    }
    const names = new Map([['read', INCLUDE_R], ['match', INCLUDE_M], ['wildcard_match', INCLUDE_W], ['brace_match', INCLUDE_B]]);
    tokens.slice(1).forEach((tok, i) => {
      const w = tok.text;
      const mode = w[0] === '-' ? -1 : w[0] === '+' ? 1 : 0;
      if (mode === 0 && i > 0) return;
      const flag = names.get(w.slice(mode === 0 ? 0 : 1)) ?? 0;
      if (!flag) return;
      if (mode === 0) this.includeCheck = INCLUDE_R | flag;
      else if (mode === 1) this.includeCheck |= flag;
      else this.includeCheck &= ~flag;
    });
  }

  isDefined(name: string): boolean {
    return this.defs.has(name);
  }

  /** Closes whatever is still open (files left unread because reading stopped). */
  finish(): void {
    while (this.files.length > 0) {
      const f = this.files.pop()!;
      const spaces = f.spaces.diagnostic();
      if (spaces) this.report(spaces);
    }
  }
}

function locOf(buf: Buf, t: Chars, i: number): Location {
  return { file: buf.file, line: buf.line, column: colAt(t, i) };
}

function clip(s: string): string {
  const chars = Array.from(s);
  return chars.length > 60 ? `${chars.slice(0, 60).join('')}…` : s;
}

/** Cuts `s` into pieces of at most `max` UTF-8 bytes, never inside a character (as fgets would, almost). */
function splitBytes(s: string, max: number): string[] {
  const buf = Buffer.from(s);
  const pieces: string[] = [];
  for (let from = 0; from < buf.length;) {
    let to = Math.min(buf.length, from + max);
    while (to < buf.length && to > from && (buf[to]! & 0xc0) === 0x80) to--;
    pieces.push(buf.subarray(from, to).toString('utf8'));
    from = to;
  }
  return pieces;
}

const PARAM_REF = /\$\{?([A-Za-z_][A-Za-z0-9_]*)/g;

/**
 * Loads `entry` (or `text` standing for its content) with every include, parameter, conditional
 * line and sequence expanded into one stream of statements.
 *
 * @example
 * const { lines, diagnostics } = loadWithIncludes('/etc/keepalived/keepalived.conf', nodeConfigFs);
 */
export function loadWithIncludes(entry: string, fs: ConfigFs, text?: string, options: LoadOptions = {}): LoadResult {
  const reader = new Reader(fs, options.configId ?? defaultConfigId(), options.random ?? Math.random);
  const out = reader.out;
  const entryPath = resolve(entry);
  let content: string;
  if (text !== undefined) {
    if (Buffer.byteLength(text) > MAX_FILE_BYTES) {
      out.diagnostics.push(diag('error', 'limit', { file: entry, line: 1, column: 1 }, `configuration is ${Buffer.byteLength(text)} bytes; the limit is ${MAX_FILE_BYTES}`));
      return out;
    }
    content = text;
  } else {
    const info = fs.stat(entryPath);
    const at = { file: entry, line: 1, column: 1 };
    const why =
      info.kind === 'missing' ? 'no such file'
      : info.kind === 'directory' ? 'it is a directory'
      : info.kind === 'other' ? 'it is not a regular file (a device, FIFO or socket); keepalived reads only regular files'
      : info.refused ? info.refused
      : info.size > MAX_FILE_BYTES ? `it is ${info.size} bytes; the limit is ${MAX_FILE_BYTES}`
      : undefined;
    if (why) {
      out.diagnostics.push(diag('error', info.size > MAX_FILE_BYTES && info.kind === 'file' ? 'limit' : 'io-error', { ...at, line: 0, column: 0 }, `cannot read configuration: ${why}`));
      return out;
    }
    try {
      content = fs.readFile(entryPath, MAX_FILE_BYTES);
    } catch (err) {
      out.diagnostics.push(diag('error', 'io-error', { ...at, line: 0, column: 0 }, `cannot read configuration: ${(err as Error).message}`));
      return out;
    }
    if (info.executable) {
      out.diagnostics.push(diag('error', 'io-error', at, 'the configuration file is executable: keepalived refuses to read it ("not a regular non-executable file")', { hint: `chmod a-x ${entry}` }));
    }
  }
  reader.openEntry(entryPath, entry, content);
  let statements = 0;
  let pieces = 0;
  for (let buf = reader.readLine(); buf; buf = reader.readLine()) {
    const split = splitWords(buf.text, buf.file, buf.line);
    if (split.unmatchedAt !== undefined && buf.text.via) {
      out.diagnostics.push(diag('error', 'unterminated-quote', { file: buf.file, line: buf.line, column: split.unmatchedAt }, 'unterminated quoted string after parameter substitution', { expected: 'a closing `"` on the same line' }));
    }
    const tokens = split.tokens;
    if (tokens.length === 0) continue;
    for (const tok of tokens) {
      if (!tok.text.includes('$')) continue;
      const unresolved = [...tok.text.matchAll(PARAM_REF)].map((m) => m[1]!).filter((n) => !reader.isDefined(n));
      if (unresolved.length) tok.unresolved = [...new Set(unresolved)];
    }
    const isBrace = tokens.length === 1 && !tokens[0]!.quoted && (tokens[0]!.text === '{' || tokens[0]!.text === '}');
    if (!isBrace && ++statements > MAX_STATEMENTS) {
      out.diagnostics.push(diag('error', 'limit', tokens[0]!, `more than ${MAX_STATEMENTS} statements (after ~SEQ, ~LST and multi-line parameters); the rest is not read`));
      out.truncated = true;
      break;
    }
    if (++pieces > MAX_PIECES) {
      out.diagnostics.push(diag('error', 'limit', tokens[0]!, `more than ${MAX_PIECES} statements and braces; the rest is not read`));
      out.truncated = true;
      break;
    }
    if (tokens[0]!.text === 'include_check' && !tokens[0]!.quoted) reader.includeCheckKeyword(tokens);
    // What followed a `{` or `}` joins the line it was written on: a LexLine is one line of
    // text, and the parser cuts statements at the braces.
    const prev = out.lines[out.lines.length - 1];
    if (buf.residue && prev && prev.file === buf.file && prev.line === buf.line) {
      prev.tokens.push(...tokens);
      prev.text += ` ${textOf(buf.text)}`;
      continue;
    }
    const line: LexLine = { file: buf.file, line: buf.line, tokens, text: textOf(buf.text) };
    if (buf.afterBackslash) line.afterBackslash = true;
    out.lines.push(line);
  }
  reader.finish();
  return out;
}

/**
 * One in-memory file read as keepalived reads it, without includes (an `include` line finds no
 * file): what the lexer tests and text-only callers need.
 */
export function lexKeepalived(text: string, file: string, options: LoadOptions = {}): LexResult {
  const { lines, diagnostics } = loadWithIncludes(file, memoryConfigFs({}), text, options);
  return { lines, diagnostics };
}
