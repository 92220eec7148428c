/**
 * Helpers shared by the converters: reading typed values off tree nodes and remembering where
 * each spec field came from, so spec validation issues can be reported at file:line:column.
 */
import { diag, type Diagnostic, type Location } from './diagnostics.ts';
import { FIRST_WINS } from './keywords/index.ts';
import type { ConfNode } from './tree.ts';
import { keepalivedAddress } from './validate.ts';

export type SpecPath = (string | number)[];

export class ConvertContext {
  readonly diagnostics: Diagnostic[] = [];
  /**
   * Where each spec field was written: spec path of the object (formatted) -> field -> place.
   * Two levels, so recording a field (done for every field of every block) builds no string.
   */
  private readonly fields = new Map<string, Map<string | number, Location>>();
  /** The field map of a block's path array, found once per array. */
  private readonly byPath = new WeakMap<SpecPath, Map<string | number, Location>>();

  constructor(readonly entry: Location) {}

  private fieldsOf(parent: SpecPath): Map<string | number, Location> {
    let m = this.byPath.get(parent);
    if (!m) {
      const key = pathKey(parent);
      m = this.fields.get(key);
      if (!m) this.fields.set(key, (m = new Map()));
      this.byPath.set(parent, m);
    }
    return m;
  }

  at(path: SpecPath, loc: Location): void {
    if (path.length === 0) return;
    this.fieldsOf(path.slice(0, -1)).set(String(path[path.length - 1]), loc);
  }

  /** `at([...path, key], loc)` without building the array (this runs for every field). */
  atField(path: SpecPath, key: string, loc: Location): void {
    this.fieldsOf(path).set(key, loc);
  }

  /** The location of the longest recorded prefix of `path` (or the entry file). */
  locate(path: SpecPath): Location {
    for (let n = path.length; n > 0; n--) {
      const loc = this.fields.get(pathKey(path.slice(0, n - 1)))?.get(String(path[n - 1]));
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

// A block's path array is reused for every field of the block: its key is computed once.
const pathKeys = new WeakMap<SpecPath, string>();

export function pathKey(path: SpecPath): string {
  let k = pathKeys.get(path);
  if (k === undefined) {
    k = path.map(String).join('\u0000');
    pathKeys.set(path, k);
  }
  return k;
}

export function arg(node: ConfNode, i = 0): string | undefined {
  return node.args[i]?.text;
}

/** An address argument as keepalived reads it ("10.0.0.5/24" is 10.0.0.5; validate.ts noted it). */
export function addressArg(node: ConfNode, i = 0): string | undefined {
  const t = arg(node, i);
  return t === undefined ? undefined : (keepalivedAddress(t) ?? t);
}

/** A real/sorry server port: keepalived reads 0 (or 00...) as "no port" (check_data.c alloc_rs). */
export function portArg(node: ConfNode, i: number): number | undefined {
  const p = intArg(node, i);
  return p === 0 ? undefined : p;
}

/** An object whose keys come from a config file: no prototype, so `__proto__` is just a key. */
export function record<T = unknown>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
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

/** Lines of a list block (its children), or none. */
export function lines(node: ConfNode): ConfNode[] {
  // `//...` lines were reported by validate.ts; they carry no config.
  return (node.children ?? []).filter((n) => n.keyword.quoted || !n.keyword.text.startsWith('//'));
}

/**
 * Statements of a keyword block: as `lines`, without the repeats keepalived ignores (it keeps
 * the first notify_master, quorum_up, ... of a block; validate.ts warned).
 */
export function keywordLines(node: ConfNode): ConfNode[] {
  const seen = new Set<string>();
  return lines(node).filter((n) => {
    const k = n.keyword.text;
    if (!FIRST_WINS.has(k)) return true;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
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

/**
 * Sets `o[key]` from statement `n` and records where it was written, under the spec's own
 * field name, so a spec-level problem with the value is reported on that statement's line.
 */
export function put(ctx: ConvertContext, path: SpecPath, o: Record<string, unknown>, key: string, n: ConfNode, v: unknown): void {
  if (v === undefined) return;
  o[key] = v;
  ctx.atField(path, key, n.keyword);
}
