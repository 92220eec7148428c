/** "Did you mean" support: optimal-string-alignment (Damerau-Levenshtein) distance. */
import { MAX_SUGGEST_LENGTH } from './limits.ts';

export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  const d: number[][] = Array.from({ length: m + 1 }, (_, i) => Array.from({ length: n + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= m; i++) {
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[m]![n]!;
}

/**
 * The closest candidate to `word`, if it is close enough to be a plausible typo
 * (at most a third of the word's length, and at most 3 edits).
 *
 * @example
 * closestMatch('autp_pass', ['auth_type', 'auth_pass']) // 'auth_pass'
 */
export function closestMatch(word: string, candidates: Iterable<string>): string | undefined {
  // No keyword is longer than MAX_SUGGEST_LENGTH: a longer word is no typo of one, and the
  // distance costs length x length (a 1 MB word would take minutes and gigabytes).
  if (word.length > MAX_SUGGEST_LENGTH) return undefined;
  const limit = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
  let best: string | undefined;
  let bestDistance = Infinity;
  const lower = word.toLowerCase();
  for (const c of candidates) {
    if (Math.abs(c.length - word.length) > limit) continue;
    const dist = editDistance(lower, c.toLowerCase());
    if (dist < bestDistance || (dist === bestDistance && best !== undefined && c < best)) {
      best = c;
      bestDistance = dist;
    }
  }
  return bestDistance <= limit ? best : undefined;
}
