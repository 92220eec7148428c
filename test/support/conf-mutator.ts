/**
 * Seeded mutations of keepalived.conf files for the fuzz suite (test/unit/keepalived-fuzz.test.ts):
 * token deletion and duplication, braces, random bytes (NUL, invalid UTF-8), long lines and words,
 * deep nesting, include loops, globs over / /proc /dev, brace groups, self-referring parameters,
 * endless ~SEQ, repeated blocks, truncation. Deterministic for a given seed.
 */

/** mulberry32: small, seeded, good enough to pick mutations. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Mutator = (b: Buffer, r: () => number) => Buffer;
export const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const at = (b: Buffer, r: () => number) => Math.floor(r() * (b.length + 1));
const splice = (b: Buffer, i: number, del: number, ins: Buffer | string) => Buffer.concat([b.subarray(0, i), Buffer.from(ins), b.subarray(i + del)]);

/** Token boundaries (whitespace-separated words) of a buffer. */
function tokens(b: Buffer): [number, number][] {
  const out: [number, number][] = [];
  const re = /[^\s]+/g;
  const s = b.toString('latin1');
  for (let m = re.exec(s); m; m = re.exec(s)) out.push([m.index, m.index + m[0].length]);
  return out;
}

export const MUTATORS: Record<string, Mutator> = {
  deleteToken: (b, r) => {
    const t = tokens(b);
    if (!t.length) return b;
    const [from, to] = pick(r, t);
    return splice(b, from, to - from, '');
  },
  duplicateToken: (b, r) => {
    const t = tokens(b);
    if (!t.length) return b;
    const [from, to] = pick(r, t);
    return splice(b, to, 0, Buffer.concat([Buffer.from(' '), b.subarray(from, to)]));
  },
  braces: (b, r) => {
    if (r() < 0.5) return splice(b, at(b, r), 0, pick(r, ['{', '}', ' { ', ' } ', '{\n', '\n}\n', '{{', '}}']));
    const s = b.toString('latin1');
    const idx = [...s.matchAll(/[{}]/g)].map((m) => m.index!);
    return idx.length ? splice(b, pick(r, idx), 1, '') : b;
  },
  randomBytes: (b, r) => {
    const n = 1 + Math.floor(r() * 16);
    const bytes = Buffer.from(Array.from({ length: n }, () => pick(r, [0x00, 0xff, 0xfe, 0xc3, 0x28, 0x80, 0x0d, 0x0a, 0x22, 0x5c, 0x23, 0x21, 0x24, 0x40, 0x7e, 0x7b, 0x7d, Math.floor(r() * 256)])));
    return splice(b, at(b, r), 0, bytes);
  },
  longLine: (b, r) => {
    const n = pick(r, [1100, 5000, 60_000, 300_000]);
    const line = pick(r, [() => 'x'.repeat(n), () => `priority ${'9'.repeat(n)}`, () => `unknown_kw ${'w '.repeat(n / 2)}`, () => `"${'q'.repeat(n)}`, () => `$P=${'v'.repeat(n)}\n$P $P $P`])();
    return splice(b, at(b, r), 0, `\n${line}\n`);
  },
  deepNesting: (b, r) => {
    const n = pick(r, [40, 500, 5000]);
    const open = pick(r, ['{\n', 'vrrp_instance X {\n', 'a { ', 'virtual_server 10.0.0.1 80 {\nreal_server 10.0.0.2 80 {\n']);
    return Buffer.concat([b, Buffer.from(open.repeat(n)), Buffer.from('}\n'.repeat(r() < 0.5 ? n : Math.floor(n / 2)))]);
  },
  includeLoop: (b, r) => splice(b, at(b, r), 0, `\n${pick(r, ['include self.conf', 'include *.conf', 'includea *', 'include ./self.conf', 'include {self,self,self}.conf', '@^none include self.conf'])}\n`),
  includeGlob: (b, r) => splice(b, at(b, r), 0, `\n${pick(r, ['include /*/*', 'include /proc/*/*', 'include /proc/kpage*', 'include /proc/kmsg', 'include /dev/*', 'include /dev/zero', 'include /tmp', `include ${'{a,b}'.repeat(20)}`, `include /${'*/'.repeat(6)}*`, 'include /sys/kernel/*'])}\n`),
  parameters: (b, r) => splice(b, at(b, r), 0, `\n${pick(r, ['$A=${A}\n$A', '$M= \\\n x \\\n $M\n$M', '~SEQ(I, 1, 100000000) x${I}', '~SEQ(I, 1, 100000000) ~SEQ(J, 1, 100000000) $J', '$L=${L}${L}\n$L', '~LST(V, a, b, c) ~LST(W, a, b, c) ~LST(X, a, b, c) w', '$X=@none\n$X x', '${_RANDOM 99999999999 1}'])}\n`),
  repeatBlock: (b, r) => {
    const s = b.toString('latin1');
    const start = s.lastIndexOf('\n', Math.floor(r() * s.length)) + 1;
    const chunk = b.subarray(start, Math.min(b.length, start + 2000));
    return Buffer.concat([b, ...Array.from({ length: pick(r, [10, 200, 2000]) }, () => chunk)]);
  },
  truncate: (b, r) => b.subarray(0, at(b, r)),
};
export const MUTATOR_NAMES = Object.keys(MUTATORS);


/** One mutant: 1 to 4 mutations of `original`, and their names. */
export function mutate(original: Buffer, r: () => number): { bytes: Buffer; applied: string[] } {
  const applied: string[] = [];
  let b: Buffer = original;
  const n = 1 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) {
    const name = pick(r, MUTATOR_NAMES);
    applied.push(name);
    b = MUTATORS[name]!(b, r);
  }
  return { bytes: b, applied };
}
