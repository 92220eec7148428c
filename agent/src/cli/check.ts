/**
 * `vigil check FILE [--json]`: validate a keepalived.conf the way Vigil will run it. Prints
 * every problem as `file:line:col: severity: message (expected ...) hint: ...`, keepalived
 * keywords Vigil does not support named as warnings. Exit 0 = valid (warnings allowed),
 * 1 = invalid, 2 = usage error.
 */
import { existsSync } from 'node:fs';
import { convertToSpec } from '../keepalived/convert.ts';
import { formatDiagnostic, hasErrors, sortDiagnostics, type Diagnostic } from '../keepalived/diagnostics.ts';
import { parseKeepalivedConf } from '../keepalived/parser.ts';

const USAGE = 'usage: vigil check FILE [--json]\n\nValidate a keepalived.conf: exit 0 if valid, 1 if invalid, 2 on usage error.\n';

export interface CheckOutput {
  valid: boolean;
  director?: string;
  diagnostics: Diagnostic[];
}

/** Parses, converts and validates one file; the pure part of `vigil check`. */
export function checkFile(file: string): CheckOutput {
  const parsed = parseKeepalivedConf({ path: file });
  if (parsed.files.length === 0) return { valid: false, diagnostics: parsed.diagnostics };
  const converted = convertToSpec(parsed.tree, { file });
  const diagnostics = sortDiagnostics([...parsed.diagnostics, ...converted.diagnostics]);
  return { valid: !hasErrors(diagnostics), director: converted.director, diagnostics };
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
  for (const a of argv) {
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
  const result = checkFile(file);
  if (json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    for (const d of result.diagnostics) process.stdout.write(`${formatDiagnostic(d)}\n`);
    const count = (s: Diagnostic['severity']) => result.diagnostics.filter((d) => d.severity === s).length;
    const summary = `${count('error')} error(s), ${count('warning')} warning(s)`;
    process.stdout.write(result.valid ? `${file}: valid (${summary})\n` : `${file}: invalid (${summary})\n`);
  }
  return result.valid ? 0 : 1;
}
