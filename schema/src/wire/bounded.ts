/**
 * Bounded building blocks for everything that crosses the agent ↔ control-plane wire. Each
 * string has a length limit and no NUL (Postgres text and jsonb cannot hold U+0000, and a NUL
 * has no business in any of these fields); each instant is a real ISO 8601 time in years
 * 1970..9999 (Postgres rejects year 0, and an agent clock before the epoch is broken).
 */
import { z } from 'zod';

/**
 * A string of at most `max` UTF-16 units, with no NUL and no lone surrogate (neither survives
 * Postgres: text and jsonb cannot store them, so what was hashed would not be what was stored).
 */
export const text = (max: number) => z.string().max(max).refine(storable, { message: STORABLE_MESSAGE });

export const STORABLE_MESSAGE = 'must be valid Unicode text without NUL (\\u0000) characters or lone surrogates';

/** True when Postgres stores `s` exactly as given. */
export function storable(s: string): boolean {
  return !s.includes('\u0000') && (s as unknown as { isWellFormed(): boolean }).isWellFormed(); // ES2024, in Node >= 20
}

const MIN_INSTANT = Date.UTC(1970, 0, 1);
const MAX_INSTANT = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** An ISO 8601 date-time with an offset, 1970..9999. */
export const Instant = z.iso.datetime({ offset: true }).refine((s) => {
  const t = Date.parse(s);
  return Number.isFinite(t) && t >= MIN_INSTANT && t <= MAX_INSTANT;
}, { message: 'must be a date-time between 1970 and 9999, e.g. "2026-12-03T10:00:00.000Z"' });

/** An outbox sequence number: 1..2^53-1, unique and increasing per director. */
export const Seq = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

/** A spec revision number. */
export const Revision = z.number().int().min(1).max(2_147_483_647);

/**
 * The deepest nesting any wire value may have. JSON nested deeper than this is refused before
 * any recursive code (zod, canonical JSON, jsonb) sees it.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * Nesting depth of a JSON text, counted without recursion or parsing (strings skipped), so a
 * hostile body of 100,000 '[' costs one linear scan. Returns early past `limit`.
 */
export function jsonDepth(textValue: string, limit = Infinity): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < textValue.length; i++) {
    const c = textValue.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

/** A JSON value (no undefined, functions, NaN) of bounded depth, for free-form details. */
export const JsonValue: z.ZodType<unknown> = z.unknown().superRefine((v, ctx) => {
  const problem = jsonProblem(v, 0);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

function jsonProblem(v: unknown, depth: number): string | undefined {
  if (depth > MAX_JSON_DEPTH) return `nested deeper than ${MAX_JSON_DEPTH} levels`;
  if (v === null || typeof v === 'boolean') return undefined;
  if (typeof v === 'number') return Number.isFinite(v) ? undefined : 'numbers must be finite';
  if (typeof v === 'string') return storable(v) ? undefined : `strings ${STORABLE_MESSAGE}`;
  if (Array.isArray(v)) {
    for (const x of v) {
      const p = jsonProblem(x, depth + 1);
      if (p) return p;
    }
    return undefined;
  }
  if (typeof v === 'object') {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (!storable(k)) return `keys ${STORABLE_MESSAGE}`;
      const p = jsonProblem(x, depth + 1);
      if (p) return p;
    }
    return undefined;
  }
  return `not a JSON value (${typeof v})`;
}
