/**
 * A small argv parser shared by the fleet, import/export and plan commands: declared options
 * only (an unknown or misspelled flag is a usage error, never ignored), `--flag value` and
 * `--flag=value`, short aliases, repeatable options, and positionals.
 */
import { UsageError } from './errors.ts';

export interface OptionSpec {
  /** Takes a value (`--api URL`) or is a switch (`--follow`). */
  value?: boolean;
  repeat?: boolean;
  short?: string;
}

export type OptionSpecs = Record<string, OptionSpec>;

export interface Parsed {
  options: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

export function parseArgs(argv: string[], specs: OptionSpecs, command: string): Parsed {
  const options: Parsed['options'] = {};
  const positionals: string[] = [];
  const byShort = new Map(Object.entries(specs).filter(([, s]) => s.short).map(([k, s]) => [s.short!, k]));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    let name: string | undefined;
    let inline: string | undefined;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      name = eq === -1 ? a.slice(2) : a.slice(2, eq);
      if (eq !== -1) inline = a.slice(eq + 1);
    } else if (/^-[A-Za-z]$/.test(a)) {
      name = byShort.get(a.slice(1));
      if (!name) throw new UsageError(`${command}: unknown option "${a}"`);
    } else {
      positionals.push(a);
      continue;
    }
    const spec = specs[name];
    if (!spec) throw new UsageError(`${command}: unknown option "--${name}"`);
    let value: string | boolean = true;
    if (spec.value) {
      if (inline !== undefined) value = inline;
      else {
        const next = argv[i + 1];
        if (next === undefined) throw new UsageError(`${command}: --${name} needs a value`);
        value = next;
        i++;
      }
    } else if (inline !== undefined) throw new UsageError(`${command}: --${name} takes no value`);
    if (spec.repeat) options[name] = [...((options[name] as string[] | undefined) ?? []), String(value)];
    else options[name] = value;
  }
  return { options, positionals };
}

export const str = (p: Parsed, k: string): string | undefined => {
  const v = p.options[k];
  return typeof v === 'string' ? v : undefined;
};
export const bool = (p: Parsed, k: string): boolean => p.options[k] === true;
export const list = (p: Parsed, k: string): string[] => (Array.isArray(p.options[k]) ? (p.options[k] as string[]) : []);

/** A positive integer option, or a usage error naming it. */
export function int(p: Parsed, k: string, command: string): number | undefined {
  const v = str(p, k);
  if (v === undefined) return undefined;
  if (!/^\d{1,9}$/.test(v) || Number(v) < 1) throw new UsageError(`${command}: --${k} must be a positive integer, not "${v}"`);
  return Number(v);
}
