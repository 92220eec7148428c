/**
 * `vigil check FILE [--json] [--config-id ID]`: validate a keepalived.conf the way Vigil will run
 * it. Prints every problem as `file:line:col: severity: message (expected ...) hint: ...`,
 * keepalived keywords Vigil does not support named as warnings. Exit 0 = valid (warnings
 * allowed), 1 = invalid, 2 = usage error (bad option, no such FILE).
 *
 * `--config-id` (or keepalived's `-i`) is the id `@id` conditional lines are compared with and
 * `${_INSTANCE}` expands to; the default is keepalived's: the host name up to its first dot.
 *
 * Whatever the file holds, this finishes (the reader is bounded, keepalived/limits.ts), prints at
 * most MAX_DIAGNOSTICS diagnostics, and never ends in a stack trace.
 */
import { existsSync } from 'node:fs';
import { convertToSpec } from '../keepalived/convert.ts';
import { diag, formatDiagnostic, hasErrors, mergeDiagnostics, type Diagnostic } from '../keepalived/diagnostics.ts';
import { defaultConfigId } from '../keepalived/include.ts';
import { MAX_DIAGNOSTICS } from '../keepalived/limits.ts';
import { parseKeepalivedConf } from '../keepalived/parser.ts';

const USAGE = `usage: vigil check FILE [--json] [--config-id ID]

Validate a keepalived.conf: exit 0 if valid, 1 if invalid, 2 on usage error.

  --json            print the result as JSON
  --config-id ID    keepalived's -i/--config-id: which "@ID" conditional lines apply
                    (default: the host name up to its first dot, "${defaultConfigId()}" here)
`;

export interface CheckOutput {
  valid: boolean;
  director?: string;
  diagnostics: Diagnostic[];
  /** Diagnostics beyond MAX_DIAGNOSTICS that were counted but not kept. */
  omitted?: number;
}

export interface CheckOptions {
  configId?: string;
}

/** Parses, converts and validates one file; the pure part of `vigil check`. */
export function checkFile(file: string, options: CheckOptions = {}): CheckOutput {
  const parsed = parseKeepalivedConf({ path: file }, options.configId !== undefined ? { configId: options.configId } : {});
  if (parsed.files.length === 0) return { valid: false, diagnostics: parsed.diagnostics };
  const converted = convertToSpec(parsed.tree, { file });
  const all = mergeDiagnostics(parsed.diagnostics, converted.diagnostics);
  const result: CheckOutput = { valid: !hasErrors(all), director: converted.director, diagnostics: all };
  if (all.length > MAX_DIAGNOSTICS) {
    // Keep every error first (up to the cap), then the rest in file order.
    const errors = all.filter((d) => d.severity === 'error');
    const kept = new Set((errors.length >= MAX_DIAGNOSTICS ? errors : [...errors, ...all.filter((d) => d.severity !== 'error')]).slice(0, MAX_DIAGNOSTICS));
    result.diagnostics = all.filter((d) => kept.has(d));
    result.omitted = all.length - result.diagnostics.length;
  }
  return result;
}

/** Reads `--config-id ID`, `--config-id=ID` or `-i ID`; the rest of argv is returned. */
function takeConfigId(argv: string[]): { configId?: string; rest: string[]; error?: string } {
  const rest: string[] = [];
  let configId: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--config-id' || a === '-i') {
      const v = argv[++i];
      if (v === undefined) return { rest, error: `${a} needs a value` };
      configId = v;
    } else if (a.startsWith('--config-id=')) configId = a.slice('--config-id='.length);
    else rest.push(a);
  }
  return { ...(configId !== undefined && { configId }), rest };
}

/**
 * Runs `vigil check` with its arguments and returns the exit code.
 *
 * @example
 * process.exitCode = await runCheck(['/etc/keepalived/keepalived.conf']);
 */
export async function runCheck(argv: string[]): Promise<number> {
  let json = false;
  const files: string[] = [];
  const { configId, rest, error } = takeConfigId(argv);
  if (error) {
    process.stderr.write(`vigil check: ${error}\n\n${USAGE}`);
    return 2;
  }
  for (const a of rest) {
    if (a === '--json') json = true;
    else if (a === '-h' || a === '--help') {
      process.stdout.write(USAGE);
      return 0;
    } else if (a.startsWith('-')) {
      process.stderr.write(`vigil check: unknown option "${a}"\n\n${USAGE}`);
      return 2;
    } else files.push(a);
  }
  if (files.length !== 1) {
    process.stderr.write(`vigil check: ${files.length === 0 ? 'missing the FILE to check' : 'give exactly one FILE (included files are followed automatically)'}\n\n${USAGE}`);
    return 2;
  }
  const file = files[0]!;
  if (!existsSync(file)) {
    process.stderr.write(`vigil check: ${file}: no such file\n`);
    return 2;
  }
  let result: CheckOutput;
  try {
    result = checkFile(file, configId !== undefined ? { configId } : {});
  } catch (err) {
    // A bug, not a verdict on the file: say so in one line (no stack trace), and fail.
    const d = diag('error', 'io-error', { file, line: 0, column: 0 }, `internal error while checking (please report it): ${(err as Error)?.message ?? String(err)}`);
    result = { valid: false, diagnostics: [d] };
  }
  if (json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    const out: string[] = result.diagnostics.map(formatDiagnostic);
    if (result.omitted) out.push(`${file}: ${result.omitted} more diagnostic(s) not shown`);
    const count = (s: Diagnostic['severity']) => result.diagnostics.filter((d) => d.severity === s).length;
    const summary = `${count('error')} error(s), ${count('warning')} warning(s)${result.omitted ? `, ${result.omitted} more not shown` : ''}`;
    out.push(result.valid ? `${file}: valid (${summary})` : `${file}: invalid (${summary})`);
    process.stdout.write(`${out.join('\n')}\n`);
  }
  return result.valid ? 0 : 1;
}
