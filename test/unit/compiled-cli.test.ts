/**
 * The `vigil` command runs compiled JavaScript (agent/bin/compiled.mjs), never stale code: the
 * build is keyed by every source file's path, size and mtime, a changed source makes the next
 * start build again, and the compiled command answers exactly as the sources do (tsx).
 */
import { spawnSync } from 'node:child_process';
import { statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildCompiled, compiledEntry, fingerprint } from '../../agent/bin/compiled.mjs';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const VIGIL = join(repo, 'agent/bin/vigil.mjs');
const sample = join(repo, 'test/fixtures/import/pair-ok/lb1.conf');
const runVigil = (args: string[], env: Record<string, string>) => spawnSync(process.execPath, [VIGIL, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 120_000 });

describe('the compiled vigil command', () => {
  it('answers exactly as the sources do (check, import to YAML, a usage error, help)', async () => {
    await buildCompiled();
    const pair = ['lb1', 'lb2'].map((d) => join(repo, `test/fixtures/import/pair-ok/${d}.conf`));
    for (const args of [['check', sample], ['check', join(repo, 'test/fixtures/import/pair-disagree/lb2.conf')], ['import', ...pair, '--dry-run'], ['import', ...pair, '-o', 'json'], ['plan'], ['--help']]) {
      const compiled = runVigil(args, { VIGIL_COMPILED: '1' });
      const sources = runVigil(args, { VIGIL_SOURCES: '1' });
      expect(compiled.status, `${args.join(' ')}: ${compiled.stderr}`).toBe(sources.status);
      expect(compiled.stdout).toBe(sources.stdout);
      expect(compiled.stderr).toBe(sources.stderr);
    }
  }, 240_000);

  it('a changed source makes the next start build again, never run the old build', async () => {
    const f = join(repo, 'agent/src/cli/check.ts');
    const before = statSync(f);
    const fp = fingerprint();
    await buildCompiled();
    expect(compiledEntry()).toBeDefined();
    try {
      // The same bytes with another mtime count as a change (a build is for exactly these files).
      utimesSync(f, before.atime, new Date(before.mtimeMs + 2000));
      const changed = fingerprint();
      expect(changed).not.toBe(fp);
      expect(compiledEntry(changed)).toBeUndefined();
      const r = runVigil(['check', sample], { VIGIL_COMPILED: '1' });
      expect(r.status, r.stderr).toBe(0);
      expect(compiledEntry(changed)).toBeDefined();
    } finally {
      utimesSync(f, before.atimeMs / 1000, before.mtimeMs / 1000);
    }
    expect(fingerprint()).toBe(fp);
    expect(Math.trunc(statSync(f).mtimeMs)).toBe(Math.trunc(before.mtimeMs));
  }, 240_000);
});
