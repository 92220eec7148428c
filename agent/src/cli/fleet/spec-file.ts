/**
 * Reading a cluster spec document given with `-f FILE` (JSON or YAML; `-` reads stdin), bounded,
 * and writing one as YAML or JSON.
 */
import { readFileSync } from 'node:fs';
import { CliError, EXIT } from './errors.ts';
import type { Io } from './context.ts';

export const MAX_SPEC_BYTES = 8 * 1024 * 1024;

export async function readSpecFile(path: string, io: Io): Promise<unknown> {
  let text: string;
  if (path === '-') text = await io.stdin();
  else {
    try {
      const buf = readFileSync(path);
      if (buf.length > MAX_SPEC_BYTES) throw new CliError(`${path}: larger than ${MAX_SPEC_BYTES} bytes`, EXIT.INVALID);
      text = buf.toString('utf8');
    } catch (e) {
      if (e instanceof CliError) throw e;
      throw new CliError(`${path}: ${(e as Error).message}`, EXIT.INVALID);
    }
  }
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{')) {
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new CliError(`${path}: not valid JSON: ${(e as Error).message}`, EXIT.INVALID);
    }
  }
  const { parseDocument } = await import('yaml');
  // YAML bounded like JSON: no custom tags, aliases limited (a "billion laughs" file is refused).
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true, customTags: [] });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const at = e.linePos?.[0];
    throw new CliError(`${path}${at ? `:${at.line}:${at.col}` : ''}: not valid YAML or JSON: ${e.message.split('\n')[0]}`, EXIT.INVALID);
  }
  return doc.toJS({ maxAliasCount: 100 });
}

export async function toYaml(v: unknown): Promise<string> {
  const { stringify } = await import('yaml');
  return stringify(v, { lineWidth: 0, aliasDuplicateObjects: false });
}
