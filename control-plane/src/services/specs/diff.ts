/**
 * Structural diff of two JSON documents (two spec revisions). Pure. Objects are compared key
 * by key; arrays element by element (specs keep ordered lists short, and an index path is what
 * an operator can find in the document).
 */
export interface DiffEntry {
  op: 'add' | 'remove' | 'change';
  path: (string | number)[];
  from?: unknown;
  to?: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function diffJson(from: unknown, to: unknown, path: (string | number)[] = [], out: DiffEntry[] = []): DiffEntry[] {
  if (isObject(from) && isObject(to)) {
    const keys = [...new Set([...Object.keys(from), ...Object.keys(to)])].sort();
    for (const k of keys) {
      // Own keys only: `k in obj` would find "constructor" or "toString" on every object.
      if (!Object.hasOwn(to, k)) out.push({ op: 'remove', path: [...path, k], from: from[k] });
      else if (!Object.hasOwn(from, k)) out.push({ op: 'add', path: [...path, k], to: to[k] });
      else diffJson(from[k], to[k], [...path, k], out);
    }
    return out;
  }
  if (Array.isArray(from) && Array.isArray(to)) {
    const n = Math.max(from.length, to.length);
    for (let i = 0; i < n; i++) {
      if (i >= to.length) out.push({ op: 'remove', path: [...path, i], from: from[i] });
      else if (i >= from.length) out.push({ op: 'add', path: [...path, i], to: to[i] });
      else diffJson(from[i], to[i], [...path, i], out);
    }
    return out;
  }
  if (JSON.stringify(from) !== JSON.stringify(to)) out.push({ op: 'change', path, from, to });
  return out;
}
