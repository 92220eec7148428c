/**
 * The subset of glob(3) with GLOB_BRACE that keepalived's `include` uses: `{a,b}` (nested),
 * `*`, `?` and `[...]` character classes, matched one path segment at a time. Leading-dot
 * names only match a pattern segment that itself starts with a dot (glob(3) behaviour).
 * Results are sorted per pattern, as glob(3) sorts them.
 *
 * Both steps are bounded (limits.ts): `{a,b}{a,b}...` with 20 groups is a million patterns, and
 * `/*` `/*` walks the whole file system. Over a bound, the expansion stops and says so.
 */
import type { ConfigFs } from './fs.ts';
import { MAX_DIR_ENTRIES } from './limits.ts';

/**
 * Expands `{a,b}` alternatives (nested allowed); a brace with no comma stays literal. Returns
 * undefined as soon as there would be more than `max` patterns.
 */
export function expandBraces(pattern: string, max = Infinity): string[] | undefined {
  const out: string[] = [];
  return expandInto(pattern, max, out) ? out : undefined;
}

function expandInto(pattern: string, max: number, out: string[]): boolean {
  const open = findBrace(pattern);
  if (!open) {
    out.push(pattern);
    return out.length <= max;
  }
  const head = pattern.slice(0, open.start);
  const tail = pattern.slice(open.end + 1);
  for (const p of open.parts) if (!expandInto(head + p + tail, max, out)) return false;
  return true;
}

function findBrace(s: string): { start: number; end: number; parts: string[] } | undefined {
  for (let start = s.indexOf('{'); start !== -1; start = s.indexOf('{', start + 1)) {
    let depth = 0;
    const parts: string[] = [];
    let from = start + 1;
    for (let i = start; i < s.length; i++) {
      const c = s[i];
      if (c === '{') depth++;
      else if (c === '}') {
        depth--;
        if (depth === 0) {
          parts.push(s.slice(from, i));
          if (parts.length > 1) return { start, end: i, parts };
          break;
        }
      } else if (c === ',' && depth === 1) {
        parts.push(s.slice(from, i));
        from = i + 1;
      }
    }
  }
  return undefined;
}

export function hasGlobMagic(s: string): boolean {
  return /[*?[]/.test(s);
}

function segmentRegex(seg: string): RegExp {
  let re = '^';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = seg.indexOf(']', i + 2);
      if (close === -1) {
        re += '\\[';
        continue;
      }
      let body = seg.slice(i + 1, close);
      if (body.startsWith('!')) body = '^' + body.slice(1);
      re += `[${body.replace(/\\/g, '\\\\')}]`;
      i = close;
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  try {
    return new RegExp(re + '$', 'u');
  } catch {
    // A class glob(3) accepts but a RegExp does not ([z-a]): matches nothing, as in glob(3).
    return /(?!)/;
  }
}

/** What one glob pattern found, and how many directory listings it cost. */
export interface GlobOutcome {
  paths: string[];
  /** A directory on the way could not be listed, or the plain path does not exist. */
  missing: boolean;
  /** The pattern had wildcards. */
  wildcard: boolean;
  /** The directory-listing or match budget ran out: `paths` is incomplete. */
  exhausted: boolean;
}

/** What globbing may still cost: shared by every include of one configuration. */
export interface GlobBudget {
  dirReads: number;
  matches: number;
  stats: number;
}

/**
 * Matches one absolute pattern (after brace expansion) against the file system. Paths are
 * returned whatever they are (directories and devices included, as glob(3) does); the caller
 * decides what it may open. `budget` is shared by every pattern of one include line.
 */
export function globMatch(pattern: string, fs: ConfigFs, budget: GlobBudget = { dirReads: Infinity, matches: Infinity, stats: Infinity }): GlobOutcome {
  const stat = (p: string) => {
    budget.stats--;
    return fs.stat(p).kind;
  };
  if (!hasGlobMagic(pattern)) {
    const exists = stat(pattern) !== 'missing';
    return { paths: exists ? [pattern] : [], missing: !exists, wildcard: false, exhausted: false };
  }
  const outcome: GlobOutcome = { paths: [], missing: false, wildcard: true, exhausted: false };
  const segments = pattern.split('/');
  let bases = [pattern.startsWith('/') ? '/' : '.'];
  for (let s = 0; s < segments.length; s++) {
    const seg = segments[s]!;
    if (seg === '') continue;
    const last = s === segments.length - 1;
    const next: string[] = [];
    for (const base of bases) {
      if (budget.stats <= 0) {
        outcome.exhausted = true;
        break;
      }
      if (!hasGlobMagic(seg)) {
        const p = joinPath(base, seg);
        if (stat(p) === 'missing') outcome.missing = true;
        else next.push(p);
        continue;
      }
      if (budget.dirReads <= 0) {
        outcome.exhausted = true;
        break;
      }
      budget.dirReads--;
      const listed = fs.readdir(base, MAX_DIR_ENTRIES);
      if (!listed) {
        outcome.missing = true;
        continue;
      }
      const re = segmentRegex(seg);
      for (const n of listed.filter((name) => re.test(name) && (!name.startsWith('.') || seg.startsWith('.'))).sort()) {
        const p = joinPath(base, n);
        // A directory in the middle of the pattern is only worth keeping if it can be entered.
        if (!last && stat(p) !== 'directory') continue;
        next.push(p);
      }
    }
    bases = next;
    if (outcome.exhausted) break;
    if (bases.length > budget.matches) {
      outcome.exhausted = true;
      bases = bases.slice(0, Math.max(0, budget.matches));
    }
  }
  budget.matches -= bases.length;
  outcome.paths = bases;
  return outcome;
}

/** The regular files `pattern` matches (unbounded; for tools and tests). */
export function globPath(pattern: string, fs: ConfigFs): string[] {
  return globMatch(pattern, fs).paths.filter((p) => fs.stat(p).kind === 'file');
}

function joinPath(base: string, name: string): string {
  return base.endsWith('/') ? base + name : `${base}/${name}`;
}
