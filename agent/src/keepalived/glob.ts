/**
 * The subset of glob(3) with GLOB_BRACE that keepalived's `include` uses: `{a,b}` (nested),
 * `*`, `?` and `[...]` character classes, matched one path segment at a time. Leading-dot
 * names only match a pattern segment that itself starts with a dot (glob(3) behaviour).
 * Results are sorted per pattern, as glob(3) sorts them.
 */
import type { ConfigFs } from './fs.ts';

/** Expands `{a,b}` alternatives (nested allowed); a brace with no comma stays literal. */
export function expandBraces(pattern: string): string[] {
  const open = findBrace(pattern);
  if (!open) return [pattern];
  const { start, end, parts } = open;
  const head = pattern.slice(0, start);
  const tail = pattern.slice(end + 1);
  return parts.flatMap((p) => expandBraces(head + p + tail));
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
  return new RegExp(re + '$');
}

/** Matches one absolute pattern (after brace expansion) against the file system. */
export function globPath(pattern: string, fs: ConfigFs): string[] {
  if (!hasGlobMagic(pattern)) return fs.isFile(pattern) ? [pattern] : [];
  const absolute = pattern.startsWith('/');
  const segments = pattern.split('/').filter((s, i) => s.length > 0 || i === 0);
  let bases = [absolute ? '/' : '.'];
  for (const seg of segments) {
    if (seg === '') continue;
    const next: string[] = [];
    for (const base of bases) {
      if (!hasGlobMagic(seg)) {
        next.push(joinPath(base, seg));
        continue;
      }
      const re = segmentRegex(seg);
      const names = fs.readdir(base).filter((n) => re.test(n) && (!n.startsWith('.') || seg.startsWith('.')));
      for (const n of names.sort()) next.push(joinPath(base, n));
    }
    bases = next;
  }
  return bases.filter((p) => fs.isFile(p));
}

function joinPath(base: string, name: string): string {
  return base.endsWith('/') ? base + name : `${base}/${name}`;
}
