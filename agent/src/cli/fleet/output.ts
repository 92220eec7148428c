/**
 * Output of the fleet commands: `-o table` (aligned columns for people; control characters from
 * the API are replaced, so a hostile name cannot drive the terminal) or `-o json` (one JSON
 * document, for scripts and jq).
 */
import { UsageError } from './errors.ts';

export type Format = 'table' | 'json';

export function formatOf(value: string | undefined, allowed: readonly string[] = ['table', 'json']): string {
  const f = value ?? allowed[0]!;
  if (!allowed.includes(f)) throw new UsageError(`-o ${f}: expected one of ${allowed.join(', ')}`);
  return f;
}

/** A value as one table cell: no control characters, no line breaks. */
export function cell(v: unknown): string {
  if (v === null || v === undefined || v === '') return '-';
  const s = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '?');
}

export interface Column<T> { title: string; value: (row: T) => unknown }

export function table<T>(rows: T[], columns: Column<T>[]): string {
  const cells = rows.map((r) => columns.map((c) => cell(c.value(r))));
  const widths = columns.map((c, i) => Math.max(c.title.length, ...cells.map((r) => r[i]!.length)));
  const line = (vals: string[]) => vals.map((v, i) => (i === vals.length - 1 ? v : v.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(columns.map((c) => c.title)), ...cells.map(line)].join('\n') + '\n';
}

export const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;

/** "3 s ago", "2 min ago", "never". */
export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return cell(iso);
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min ago`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}
