/**
 * Whether two JSON-shaped values would read the same as JSON — without printing them. The
 * rollout compares every instance of every director's current and target configs after a change
 * (two thousand directors within a second of a site-wide change); JSON.stringify-ing each one
 * cost a string per instance that lived as long as its cached config (old-space garbage by the
 * megabyte per change), and this walk allocates nothing and stops at the first difference.
 *
 * As JSON reads them: a property whose value is undefined is absent, and key order does not
 * matter (two renderings of one spec may list keys differently and mean the same config).
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    // NaN and ±Infinity print as null; a config holds neither, but equal JSON is equal here too.
    return typeof a === 'number' && typeof b === 'number' && !Number.isFinite(a) && !Number.isFinite(b);
  }
  const aArray = Array.isArray(a);
  if (aArray !== Array.isArray(b)) return false;
  if (aArray) {
    const x = a as unknown[];
    const y = b as unknown[];
    if (x.length !== y.length) return false;
    // In an array JSON prints undefined as null.
    for (let i = 0; i < x.length; i++) if (!sameJson(x[i] ?? null, y[i] ?? null)) return false;
    return true;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let present = 0;
  for (const k in x) {
    if (!Object.hasOwn(x, k) || x[k] === undefined) continue;
    present++;
    if (!Object.hasOwn(y, k) || !sameJson(x[k], y[k])) return false;
  }
  for (const k in y) if (Object.hasOwn(y, k) && y[k] !== undefined) present--;
  return present === 0;
}
