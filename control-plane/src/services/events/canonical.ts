/**
 * Deterministic JSON: object keys sorted at every level, so a hash survives a jsonb round trip.
 *
 * Keys are defined as own properties (never assigned), so a key named "__proto__" is kept and
 * hashed like any other instead of silently setting the copy's prototype: the hash covers
 * exactly what is stored. For every other input the output is what `JSON.stringify` of the
 * key-sorted copy always gave, so chains written before stay verifiable.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value as Record<string, unknown>).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) Object.defineProperty(out, k, { value: sortKeys(v), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return value;
}
