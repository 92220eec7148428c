/**
 * What an import found: a problem or a note about the source files, located at one or more
 * file:line:column places. A disagreement between two directors' files carries both places, so
 * the operator can open either file at the line that differs.
 */
import type { Diagnostic, Location, Severity } from '../../keepalived/diagnostics.ts';

export interface Finding {
  severity: Severity;
  /** Stable code: the reader's diagnostic code, a spec/fleet rule code, or an import-* code. */
  code: string;
  message: string;
  hint?: string;
  /** Where it was written; the first is the main place (never empty). */
  locations: Location[];
}

export const fromDiagnostic = (d: Diagnostic): Finding => ({
  severity: d.severity,
  code: d.code,
  message: d.expected ? `${d.message} (expected ${d.expected})` : d.message,
  ...(d.hint !== undefined && { hint: d.hint }),
  locations: [{ file: d.file, line: d.line, column: d.column }],
});

const where = (l: Location) => `${l.file}:${l.line}:${l.column}`;

/** `file:line:col: severity: message [code] (also file2:line2:col2) hint: ...` */
export function formatFinding(f: Finding): string {
  const [first, ...rest] = f.locations;
  let out = `${first ? where(first) : '-'}: ${f.severity}: ${f.message} [${f.code}]`;
  if (rest.length) out += ` (also ${rest.map(where).join(', ')})`;
  if (f.hint) out += ` hint: ${f.hint}`;
  return out;
}

/** Drops repeated places (same file, line and column) keeping the first. */
export function uniqueLocations(list: Location[]): Location[] {
  const seen = new Set<string>();
  return list.filter((l) => {
    const k = where(l);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Orders findings by their main place, errors first on the same line. */
export function sortFindings(list: Finding[]): Finding[] {
  const rank: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
  const key = (f: Finding) => f.locations[0] ?? { file: '', line: 0, column: 0 };
  return [...list].sort((a, b) => {
    const x = key(a);
    const y = key(b);
    return x.file.localeCompare(y.file) || x.line - y.line || x.column - y.column || rank[a.severity] - rank[b.severity];
  });
}

export const countBySeverity = (list: Finding[], s: Severity) => list.filter((f) => f.severity === s).length;
