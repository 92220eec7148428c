/**
 * Deterministic JSON: object keys sorted at every level, so a hash survives a jsonb round trip.
 *
 * Written as a direct serializer (no sorted copy of the value, which cost more than the hash
 * itself on a busy ingest). Its output is exactly `JSON.stringify` of a key-sorted copy, as the
 * chain was first defined, including JavaScript's rule that integer-like keys ("0", "10") come
 * first in numeric order: chains written before stay verifiable (canonical.test.ts checks the
 * two against each other on generated values). A key named "__proto__" is serialized like any
 * other: the hash covers exactly what is stored.
 */
export function canonicalJson(value: unknown): string {
  return write(value) ?? 'null';
}

/** One value as canonicalJson writes it inside an object: undefined when the key is left out. */
export const canonicalMember = (value: unknown): string | undefined => write(value);

const INDEX = /^(?:0|[1-9]\d{0,9})$/;
const isIndex = (k: string) => INDEX.test(k) && Number(k) < 4294967295;

function write(v: unknown): string | undefined {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
    case 'number':
    case 'boolean':
      return JSON.stringify(v);
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    case 'bigint':
      throw new TypeError('Do not know how to serialize a BigInt');
  }
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return write((v as { toJSON(): unknown }).toJSON());
  if (Array.isArray(v)) {
    let out = '[';
    for (let i = 0; i < v.length; i++) out += `${i ? ',' : ''}${write(v[i]) ?? 'null'}`;
    return `${out}]`;
  }
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).sort();
  // A plain object enumerates integer-like keys first, ascending: JSON.stringify did too. Only a
  // key starting with a digit can be one (the common case, none, costs no regex).
  let anyIndex = false;
  for (const k of keys) {
    const c = k.charCodeAt(0);
    if (c >= 48 && c <= 57 && isIndex(k)) {
      anyIndex = true;
      break;
    }
  }
  const ordered = anyIndex ? [...keys.filter(isIndex).sort((a, b) => Number(a) - Number(b)), ...keys.filter((k) => !isIndex(k))] : keys;
  let out = '{';
  let first = true;
  for (const k of ordered) {
    const s = write(o[k]);
    if (s === undefined) continue;
    out += `${first ? '' : ','}${JSON.stringify(k)}:${s}`;
    first = false;
  }
  return `${out}}`;
}
