/**
 * Every keepalived.conf fixture and sample this repository can read, grouped by cluster: the seed
 * articles' pairs (lab1-director1 + lab1-director2, ...) and single files, the import fixtures,
 * the keepalived compatibility fixtures, and Debian's keepalived samples when the package is
 * installed. Shared by the export round-trip (unit) and `keepalived -t` (net) suites.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '..', '..');
export const SAMPLES = '/usr/share/doc/keepalived/samples';

export interface FixtureGroup { name: string; files: string[] }

/** Every fixture group: pairs (lab1-director1 + lab1-director2, ...) and single files. */
export function fixtureGroups(): FixtureGroup[] {
  const groups: FixtureGroup[] = [];
  const seed = join(repo, 'test', 'fixtures', 'seed-configs');
  const files = readdirSync(seed).filter((f) => f.endsWith('.conf')).sort();
  const used = new Set<string>();
  const pair = (a: string, b: string, name: string) => {
    groups.push({ name, files: [join(seed, a), join(seed, b)] });
    used.add(a).add(b);
  };
  for (const f of files) {
    const m = /^(.*)-director1\.conf$/.exec(f);
    if (m && files.includes(`${m[1]}-director2.conf`)) pair(f, `${m[1]}-director2.conf`, `seed ${m[1]}`);
  }
  pair('single-public-ip-lvs-dr-master.conf', 'single-public-ip-lvs-dr-backup.conf', 'seed single-public-ip-lvs-dr');
  for (const f of files) if (!used.has(f)) groups.push({ name: `seed ${f}`, files: [join(seed, f)] });
  for (const d of ['pair-ok', 'pair-disagree']) groups.push({ name: `import ${d}`, files: ['lb1.conf', 'lb2.conf'].map((f) => join(repo, 'test', 'fixtures', 'import', d, f)) });
  const compat = join(repo, 'test', 'fixtures', 'keepalived-compat');
  if (existsSync(compat)) for (const f of readdirSync(compat).filter((x) => x.endsWith('.conf')).sort()) groups.push({ name: `compat ${f}`, files: [join(compat, f)] });
  if (existsSync(SAMPLES)) for (const f of readdirSync(SAMPLES).filter((x) => x.startsWith('keepalived.conf.')).sort()) groups.push({ name: `sample ${f}`, files: [join(SAMPLES, f)] });
  return groups;
}

