/** A seeded PRNG (mulberry32): the same seed gives the same fault schedule, run after run. */
export interface Rng {
  next(): number;
  int(lo: number, hi: number): number;
  pick<T>(xs: readonly T[]): T;
  weighted<T extends { weight: number }>(xs: readonly T[]): T;
}

export function rng(seed: number): Rng {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const r: Rng = {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (xs) => xs[Math.floor(next() * xs.length)]!,
    weighted: (xs) => {
      const total = xs.reduce((s, x) => s + x.weight, 0);
      let x = next() * total;
      for (const it of xs) {
        x -= it.weight;
        if (x < 0) return it;
      }
      return xs[xs.length - 1]!;
    },
  };
  return r;
}
