/**
 * Diagnostics produced while reading a keepalived.conf: every problem carries its file, line and
 * column (1-based, counted in Unicode code points) so `vigil check` can point at it.
 */

export type Severity = 'error' | 'warning' | 'info';

/** Stable codes; tests and tools match on these, never on message text. */
export type DiagnosticCode =
  | 'unicode-space' // NBSP or another Unicode space normalised to ASCII space
  | 'slash-comment' // `//` used as if it were a comment
  | 'unknown-keyword'
  | 'unsupported' // keepalived knows it, Vigil does not implement it (yet)
  | 'deprecated' // old alias such as nb_get_retry, lb_algo
  | 'missing-argument'
  | 'extra-argument'
  | 'invalid-value'
  | 'unexpected-block' // `{` after a keyword that takes none
  | 'missing-block' // keyword that needs `{ ... }` has none
  | 'unclosed-block'
  | 'unexpected-close'
  | 'unterminated-quote'
  | 'include-missing'
  | 'include-cycle'
  | 'include-error'
  | 'duplicate'
  | 'missing-keyword'
  | 'undefined-reference'
  | 'spec-invalid'
  | 'io-error'
  | 'limit' // a bound of limits.ts: the file is too big, too deep, expands too far
  | 'keepalived-differs'; // keepalived does something surprising here; Vigil does the same and says so

export interface Diagnostic {
  severity: Severity;
  code: DiagnosticCode;
  message: string;
  file: string;
  line: number;
  column: number;
  /** What the parser expected at this point, e.g. `an integer 1..255`. */
  expected?: string;
  /** A concrete fix, e.g. `did you mean "auth_pass"?`. */
  hint?: string;
}

/** A place in a file; tokens and tree nodes carry one. */
export interface Location {
  file: string;
  line: number;
  column: number;
}

/**
 * Renders one diagnostic the way compilers do, so editors can jump to it.
 *
 * @example
 * formatDiagnostic({ severity: 'error', code: 'unknown-keyword', message: 'unknown keyword "autp_pass"',
 *   file: 'k.conf', line: 38, column: 5, hint: 'did you mean "auth_pass"?' })
 * // => 'k.conf:38:5: error: unknown keyword "autp_pass" hint: did you mean "auth_pass"?'
 */
export function formatDiagnostic(d: Diagnostic): string {
  let out = `${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message}`;
  if (d.expected) out += ` (expected ${d.expected})`;
  if (d.hint) out += ` hint: ${d.hint}`;
  return out;
}

/** Orders diagnostics by file, then position, then severity (errors first). */
export function sortDiagnostics(list: Diagnostic[]): Diagnostic[] {
  const rank: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
  return [...list].sort(
    (a, b) =>
      // Plain code-unit order: localeCompare costs a locale lookup per comparison.
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line || a.column - b.column || rank[a.severity] - rank[b.severity],
  );
}

export function hasErrors(list: readonly Diagnostic[]): boolean {
  return list.some((d) => d.severity === 'error');
}

/** A parameter definition that supplied text (lexer.ts DefRef). */
interface DefNote {
  name: string;
  file: string;
  line: number;
}

/**
 * Where the parameters that built a location were defined: a bad substituted value is then
 * reported with the definition that produced it.
 */
function definitionNotes(at: { via?: DefNote[] }): string {
  const notes: string[] = [];
  for (const v of at.via ?? []) {
    const note = v.line > 0 ? `$${v.name} is defined at ${v.file}:${v.line}` : `$${v.name} is predefined`;
    if (!notes.includes(note)) notes.push(note);
  }
  return notes.length ? ` (${notes.slice(0, 4).join('; ')})` : '';
}

/**
 * `$NAME`s left as written because no such parameter exists (keepalived keeps the text too).
 * Named first: the undefined parameter is the mistake, whatever the text then breaks.
 */
function undefinedPrefix(at: { unresolved?: string[] }): string {
  const names = (at.unresolved ?? []).slice(0, 4).map((n) => `$${n}`);
  if (!names.length) return '';
  const list = names.join(', ');
  return `${list} ${names.length > 1 ? 'are not defined parameters' : 'is not a defined parameter'} (keepalived keeps ${names.map((n) => `"${n}"`).join(', ')} as written, and so does Vigil): `;
}

/** Builds a diagnostic at a location (a token built from parameters adds where they came from). */
export function diag(
  severity: Severity,
  code: DiagnosticCode,
  at: Location & { via?: DefNote[]; unresolved?: string[] },
  message: string,
  extra: { expected?: string; hint?: string } = {},
): Diagnostic {
  const d: Diagnostic = { severity, code, message: undefinedPrefix(at) + message + definitionNotes(at), file: at.file, line: at.line, column: at.column };
  if (extra.expected !== undefined) d.expected = extra.expected;
  if (extra.hint !== undefined) d.hint = extra.hint;
  else if (at.unresolved?.length) d.hint = `define it on a line before this one ($${at.unresolved[0]}=VALUE), or check the name's spelling`;
  return d;
}

/**
 * The reader's diagnostics joined with the converter's, sorted. A value the reader already
 * reported as an error (priority 300) is not reported again when the spec check trips over it.
 */
export function mergeDiagnostics(read: readonly Diagnostic[], converted: readonly Diagnostic[]): Diagnostic[] {
  const erroneous = new Set(read.filter((d) => d.severity === 'error').map((d) => `${d.file}\u0000${d.line}`));
  const extra = converted.filter((d) => !(d.code === 'spec-invalid' && d.severity === 'error' && erroneous.has(`${d.file}\u0000${d.line}`)));
  return sortDiagnostics([...read, ...extra]);
}
