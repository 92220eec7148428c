/**
 * Line reading shared by the Heartbeat (ha.cf, haresources, authkeys) and ldirectord.cf readers:
 * `#` comments (outside double quotes), trailing-backslash continuation, Unicode spaces pasted
 * from web pages normalised, every word with its 1-based column. Bounded: a file over
 * MAX_BYTES or MAX_LINES is refused rather than read.
 */
import type { Location } from '../../keepalived/diagnostics.ts';

export const MAX_BYTES = 4 * 1024 * 1024;
export const MAX_LINES = 100_000;

export interface Word { text: string; column: number }

export interface TextLine {
  file: string;
  line: number;
  /** Columns of leading whitespace (a tab counts as 8, as ldirectord's "one tab or 4 spaces"). */
  indent: number;
  /** The line without its comment, trimmed. */
  text: string;
  words: Word[];
}

const UNICODE_SPACE = /[\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\uFEFF]/gu;

/** Text without a `#` comment (a `#` inside double quotes is kept). */
function stripComment(raw: string): string {
  let quoted = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === '"') quoted = !quoted;
    else if (c === '#' && !quoted) return raw.slice(0, i);
  }
  return raw;
}

export function readTextLines(text: string, file: string): { lines: TextLine[]; error?: string } {
  if (Buffer.byteLength(text) > MAX_BYTES) return { lines: [], error: `${file} is larger than ${MAX_BYTES} bytes` };
  const physical = text.split('\n');
  if (physical.length > MAX_LINES) return { lines: [], error: `${file} has more than ${MAX_LINES} lines` };
  const lines: TextLine[] = [];
  let carry: { line: number; raw: string } | undefined;
  physical.forEach((p, i) => {
    let raw = p.replace(/\r$/, '').replace(UNICODE_SPACE, ' ');
    if (carry) {
      raw = `${carry.raw} ${raw.trimStart()}`;
    }
    const start = carry?.line ?? i + 1;
    const body = stripComment(raw);
    if (/\\\s*$/.test(body)) {
      carry = { line: start, raw: body.replace(/\\\s*$/, '') };
      return;
    }
    carry = undefined;
    const trimmed = body.trimEnd();
    if (!trimmed.trim()) return;
    const lead = /^[ \t]*/.exec(trimmed)![0];
    const indent = [...lead].reduce((n, c) => n + (c === '\t' ? 8 : 1), 0);
    const words: Word[] = [];
    const re = /"[^"]*"|[^\s"]+(?:"[^"]*")?[^\s"]*/g;
    for (let m = re.exec(trimmed); m; m = re.exec(trimmed)) words.push({ text: m[0], column: m.index + 1 });
    lines.push({ file, line: start, indent, text: trimmed.trim(), words });
  });
  return { lines };
}

export const locationOf = (l: TextLine, column = l.indent + 1): Location => ({ file: l.file, line: l.line, column });

/** `"abc"` -> `abc` (ldirectord and ha.cf values may be quoted). */
export const unquote = (s: string) => (s.length >= 2 && s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1) : s);
