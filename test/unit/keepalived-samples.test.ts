/**
 * Debian's keepalived package ships sample configurations. Each one that keepalived itself accepts
 * (`keepalived -t` exits 0) must be accepted by `vigil check` too, with what Vigil does not
 * support named as unsupported rather than reported as an error. Samples keepalived rejects are
 * listed with its reason so a change in either tool's verdict shows up here.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFile } from '../../agent/src/cli/check.ts';
import { requireCapabilities } from '../support/capabilities.ts';

const SAMPLES = '/usr/share/doc/keepalived/samples';
const run = requireCapabilities('keepalived samples', ['keepalived']) && existsSync(SAMPLES);
if (!run && process.env.CI === 'true') throw new Error(`keepalived samples: ${SAMPLES} missing (CI=true)`);

const files = run ? readdirSync(SAMPLES).filter((f) => f.startsWith('keepalived.conf.')).sort() : [];

function keepalivedVerdict(path: string): { code: number; output: string } {
  const r = spawnSync('keepalived', ['-t', '-f', path], { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

describe.skipIf(!run)('Debian keepalived samples', () => {
  it('the package ships samples to check', () => {
    expect(files.length).toBeGreaterThan(10);
    expect(execFileSync('keepalived', ['--version'], { encoding: 'utf8' }) + '').toBeDefined();
  });

  const cases = files.map((file) => ({ file, path: join(SAMPLES, file), keepalived: keepalivedVerdict(join(SAMPLES, file)) }));
  it.each(cases.filter((c) => c.keepalived.code === 0))('$file: keepalived -t accepts it, so vigil check does', ({ path }) => {
    const r = checkFile(path);
    const errors = r.diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => `${d.line}: ${d.message}`)).toEqual([]);
    expect(r.valid).toBe(true);
  });
  it.each(cases.filter((c) => c.keepalived.code !== 0))('$file: keepalived -t rejects it; vigil check still locates every diagnostic', ({ path, keepalived }) => {
    expect(keepalived.output.length).toBeGreaterThan(0);
    const r = checkFile(path);
    for (const d of r.diagnostics) expect(d.line, d.message).toBeGreaterThan(0);
  });
});
