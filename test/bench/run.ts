/**
 * `npm run bench [-- NAME…]`: benchmarks are scripts, not tests. Each `test/bench/<name>.ts`
 * exports `run(args): Promise<void>` that prints its figures (and, where keepalived has a
 * counterpart, keepalived's beside Vigil's in the same run). No name runs them all.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const available = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.includes('.test.') && !f.startsWith('_'))
  .map((f) => f.slice(0, -3))
  .sort();

const args = process.argv.slice(2);
const names = args.filter((a) => !a.startsWith('-'));
const selected = names.length ? names : available;
const unknown = selected.filter((n) => !available.includes(n));
if (unknown.length) {
  console.error(`bench: unknown benchmark ${unknown.join(', ')}; available: ${available.join(', ')}`);
  process.exit(2);
}
for (const name of selected) {
  console.log(`\n### bench ${name}`);
  const mod = (await import(`./${name}.ts`)) as { run: (args: string[]) => Promise<void> };
  await mod.run(args.filter((a) => a.startsWith('-')));
}
