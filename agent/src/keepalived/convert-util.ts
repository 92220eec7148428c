/**
 * Helpers shared by the converters: reading typed values off tree nodes and remembering where
 * each spec field came from, so spec validation issues can be reported at file:line:column.
 */
import { diag, type Diagnostic, type Location } from './diagnostics.ts';
import type { ConfNode } from './parser.ts';

export type SpecPath = (string | number)[];

export class ConvertContext {
  readonly diagnostics: Diagnostic[] = [];
  /** formatted spec path -> where it was written */
  readonly locations = new Map<string, Location>();

  constructor(readonly entry: Location) {}

  at(path: SpecPath, loc: Location): void {
    this.locations.set(pathKey(path), loc);
  }

  /** The location of the longest recorded prefix of `path` (or the entry file). */
  locate(path: SpecPath): Location {
    for (let n = path.length; n > 0; n--) {
      const loc = this.locations.get(pathKey(path.slice(0, n)));
      if (loc) return loc;
    }
    return this.entry;
  }

  warn(loc: Location, code: Diagnostic['code'], message: string, hint?: string): void {
    this.diagnostics.push(diag('warning', code, loc, message, hint ? { hint } : {}));
  }

  error(loc: Location, code: Diagnostic['code'], message: string, hint?: string): void {
    this.diagnostics.push(diag('error', code, loc, message, hint ? { hint } : {}));
  }
}

export function pathKey(path: SpecPath): string {
  return path.map(String).join('\u0000');
}

export function arg(node: ConfNode, i = 0): string | undefined {
  return node.args[i]?.text;
}

/** Integer argument (validation already reported bad values; those come back undefined). */
export function intArg(node: ConfNode, i = 0): number | undefined {
  const t = arg(node, i);
  return t !== undefined && /^[-+]?\d+$/.test(t) ? Number(t) : undefined;
}

/** Seconds argument -> integer milliseconds. */
export function msArg(node: ConfNode, i = 0): number | undefined {
  const t = arg(node, i);
  return t !== undefined && /^\d*\.?\d+$/.test(t) ? Math.round(Number(t) * 1000) : undefined;
}

/** Optional boolean argument of a flag keyword: no argument = true. */
export function flagArg(node: ConfNode): boolean {
  const t = arg(node)?.toLowerCase();
  return t === undefined || !['off', 'false', 'no', '0'].includes(t);
}

/** The command of `notify_master /path args...` / `script "cmd"`: every argument joined. */
export function commandArg(node: ConfNode): string | undefined {
  if (node.args.length === 0) return undefined;
  // Unquoted extra words are part of the command (keepalived joins them); a quoted first
  // argument is the whole command, with an optional `user[:group]` after it.
  if (node.args[0]!.quoted) return node.args[0]!.text;
  return node.args.map((a) => a.text).join(' ');
}

/** The `user[:group]` written after a quoted command (`notify "cmd" user`), if any. */
export function commandUser(node: ConfNode): string | undefined {
  return node.args[0]?.quoted && node.args[1] ? node.args[1].text : undefined;
}

/** Lines of a block (its children), or none. */
export function lines(node: ConfNode): ConfNode[] {
  // `//...` lines and `@conditional` lines were reported by validate.ts; they carry no config.
  return (node.children ?? []).filter((n) => n.keyword.quoted || !(n.keyword.text.startsWith('//') || n.keyword.text.startsWith('@')));
}

/** All tokens of a list line. */
export function words(node: ConfNode): string[] {
  const all = [node.keyword, ...node.args];
  const slash = all.findIndex((t) => !t.quoted && t.text.startsWith('//'));
  return (slash === -1 ? all : all.slice(0, slash)).map((t) => t.text);
}

/** Drops `undefined` fields so strict zod objects see only what the file said. */
export function compact<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}
