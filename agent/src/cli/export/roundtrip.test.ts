/**
 * export -> import is the identity on specs: for every fixture and sample this repository has
 * (the seed articles' pairs and single files, the import fixtures, the keepalived compatibility
 * fixtures, Debian's keepalived samples, the Heartbeat + ldirectord seed), the spec imported from
 * the files, exported per director and imported again is the same spec (defaults applied).
 * `keepalived -t` on the exported files is test/net/export-keepalived.test.ts (it needs the
 * interfaces the files name, in a network namespace).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseClusterSpec } from '#schema';
import { afterAll, describe, expect, it } from 'vitest';
import { importKeepalived, type ImportResult } from '../import/keepalived.ts';
import { importLegacy } from '../import/legacy.ts';
import { canon } from '../import/merge.ts';
import { exportKeepalivedConf } from './keepalived-conf.ts';
import { fixtureGroups, SAMPLES } from '../../../../test/support/keepalived-fixtures.ts';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

const tmp = mkdtempSync(join(tmpdir(), 'vigil-roundtrip-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Exports every director of an import and imports the exported files again. */
export function roundTrip(r: ImportResult, dir: string): { files: string[]; back: ImportResult; problems: string[] } {
  const parsed = parseClusterSpec(r.spec);
  if (!parsed.ok) throw new Error(`the imported spec does not parse: ${JSON.stringify(parsed.issues.slice(0, 3))}`);
  const problems: string[] = [];
  const files = r.directors.map((d) => {
    const e = exportKeepalivedConf(parsed.spec, d);
    problems.push(...e.problems);
    const path = join(dir, `${d}.conf`);
    writeFileSync(path, e.text);
    return path;
  });
  return { files, back: importKeepalived({ files, directors: r.directors }), problems };
}

const normal = (spec: unknown) => {
  const p = parseClusterSpec(spec);
  return p.ok ? canon(p.spec) : `invalid: ${JSON.stringify(p.issues)}`;
};

describe('export then import gives back the same spec', () => {
  if (process.env.CI === 'true' && !existsSync(SAMPLES)) throw new Error(`${SAMPLES} is missing (Debian's keepalived package ships it; CI=true)`);
  const groups = fixtureGroups();

  it('covers every fixture and sample', () => {
    expect(groups.filter((g) => g.name.startsWith('seed')).length).toBe(9);
    if (existsSync(SAMPLES)) expect(groups.filter((g) => g.name.startsWith('sample')).length).toBeGreaterThan(10);
  });

  it.each(groups)('$name', ({ name, files }) => {
    const r = importKeepalived({ files });
    // A file too broken to give a spec shape has nothing to round-trip; it must say why.
    if (!parseClusterSpec(r.spec).ok) {
      expect(r.ok, name).toBe(false);
      expect(r.findings.some((f) => f.severity === 'error')).toBe(true);
      return;
    }
    const dir = mkdtempSync(join(tmp, 'g-'));
    const { back, problems } = roundTrip(r, dir);
    expect(problems).toEqual([]);
    expect(normal(back.spec)).toBe(normal(r.spec));
    // The exported files are clean: what the original files had wrong is gone.
    expect(back.findings.filter((f) => ['slash-comment', 'unicode-space', 'unknown-keyword', 'deprecated'].includes(f.code))).toEqual([]);
  });

  it('the Heartbeat + ldirectord seed, once imported, round-trips through keepalived.conf too', () => {
    const read = (p: string) => ({ file: p, text: readFileSync(join(repo, 'test', 'fixtures', p), 'utf8') });
    const r = importLegacy({ ldirectord: read('seed-heartbeat/ldirectord.cf.txt'), heartbeat: [read('seed-heartbeat/ha.cf-and-haresources.txt')] });
    const { back } = roundTrip(r, mkdtempSync(join(tmp, 'hb-')));
    expect(normal(back.spec)).toBe(normal(r.spec));
  });
});
