/**
 * Reads a keepalived.conf and splices in its `include` files, producing one stream of lexed
 * lines. keepalived (lib/parser.c `check_include`, `open_glob_file`) handles includes at line
 * level, so an include may sit inside a block and its lines become part of that block.
 *
 * - `include PATTERN`, and the variants `includer|includem|includew|includeb|includea`
 *   (keepalived's strictness flags about missing/unreadable files; Vigil treats them alike).
 * - PATTERN gets brace expansion, then glob; a relative path is relative to the directory of
 *   the file that contains the include line.
 * - A plain path that does not exist is an error at the include line (keepalived only logs
 *   it, but a config that silently loses half of itself is not valid). A glob that matches
 *   nothing is a warning (an empty `conf.d/*.conf` is normal).
 * - An include cycle is an error at the include line that closes it (keepalived recurses until
 *   it runs out of file descriptors).
 */
import { dirname, resolve } from 'node:path';
import { diag, type Diagnostic } from './diagnostics.ts';
import type { ConfigFs } from './fs.ts';
import { expandBraces, globPath, hasGlobMagic } from './glob.ts';
import { lexKeepalived, type LexLine } from './lexer.ts';

const INCLUDE_WORDS = new Set(['include', 'includer', 'includem', 'includew', 'includeb', 'includea']);

export interface LoadResult {
  lines: LexLine[];
  diagnostics: Diagnostic[];
  /** Every file read, entry file first. */
  files: string[];
}

/**
 * Loads `entry` (or `text` standing for its content) with every include expanded.
 *
 * @example
 * const { lines, diagnostics } = loadWithIncludes('/etc/keepalived/keepalived.conf', nodeConfigFs);
 */
export function loadWithIncludes(entry: string, fs: ConfigFs, text?: string): LoadResult {
  const out: LoadResult = { lines: [], diagnostics: [], files: [] };
  const entryPath = resolve(entry);
  let content: string;
  if (text !== undefined) content = text;
  else {
    try {
      content = fs.readFile(entryPath);
    } catch (err) {
      out.diagnostics.push(
        diag('error', 'io-error', { file: entry, line: 0, column: 0 }, `cannot read configuration: ${(err as Error).message}`),
      );
      return out;
    }
  }
  readInto(entryPath, content, fs, [entryPath], out, entry);
  return out;
}

function readInto(path: string, content: string, fs: ConfigFs, stack: string[], out: LoadResult, display: string): void {
  out.files.push(path);
  const lexed = lexKeepalived(content, display);
  out.diagnostics.push(...lexed.diagnostics);
  for (const line of lexed.lines) {
    const first = line.tokens[0]!;
    if (first.quoted || !INCLUDE_WORDS.has(first.text)) {
      out.lines.push(line);
      continue;
    }
    const args = line.tokens.slice(1);
    if (args.length === 0) {
      out.diagnostics.push(
        diag('error', 'missing-argument', first, `"${first.text}" needs a file name or glob pattern`, {
          expected: 'a path such as /etc/keepalived/conf.d/*.conf',
        }),
      );
      continue;
    }
    // keepalived takes the rest of the raw line as the pattern (spaces and braces included).
    const pattern = line.text.slice(line.text.indexOf(first.text) + first.text.length).trim().replace(/^"(.*)"$/, '$1');
    const baseDir = dirname(path);
    const matches: string[] = [];
    let anyGlob = false;
    for (const alt of expandBraces(pattern)) {
      const abs = resolve(baseDir, alt);
      if (hasGlobMagic(alt)) {
        anyGlob = true;
        matches.push(...globPath(abs, fs));
      } else if (fs.isFile(abs)) matches.push(abs);
      else {
        out.diagnostics.push(
          diag('error', 'include-missing', args[0]!, `included file "${alt}" does not exist (looked for ${abs})`, {
            hint: 'relative include paths are resolved from the directory of the including file',
          }),
        );
      }
    }
    if (matches.length === 0 && anyGlob) {
      out.diagnostics.push(diag('warning', 'include-missing', args[0]!, `include pattern "${pattern}" matches no file`));
    }
    for (const file of matches) {
      if (stack.includes(file)) {
        out.diagnostics.push(
          diag('error', 'include-cycle', args[0]!, `include cycle: ${[...stack, file].join(' -> ')}`, {
            hint: 'remove the include that leads back to a file already being read',
          }),
        );
        continue;
      }
      let text: string;
      try {
        text = fs.readFile(file);
      } catch (err) {
        out.diagnostics.push(diag('error', 'include-error', args[0]!, `cannot read included file "${file}": ${(err as Error).message}`));
        continue;
      }
      readInto(file, text, fs, [...stack, file], out, file);
    }
  }
}
