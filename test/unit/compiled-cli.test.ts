/**
 * The `vigil` command runs compiled JavaScript (agent/bin/compiled.mjs), never stale code: the
 * build is keyed by every source file's path, size and mtime, a changed source makes the next
 * start build again, and the compiled command answers exactly as the sources do (tsx). Every
 * command but the control plane starts from the build's CommonJS script and a V8 code cache
 * written by its first run: it answers exactly as the ES modules do, with a cache or without,
 * and a cache V8 refuses (corrupt, another node) costs nothing but the cache.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildCompiled, compiledEntry, entryOf, fingerprint } from '../../agent/bin/compiled.mjs';

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

  it('the code-cached script answers exactly as the ES modules do: first run (writes the cache), second (reads it), and with a corrupt cache', async () => {
    const entry = await buildCompiled();
    const cacheDir = join(dirname(entry), 'v8-cache');
    rmSync(cacheDir, { recursive: true, force: true });
    const pair = ['lb1', 'lb2'].map((d) => join(repo, `test/fixtures/import/pair-ok/${d}.conf`));
    const cases = [['check', sample], ['check', join(repo, 'test/fixtures/import/pair-disagree/lb2.conf')], ['import', ...pair, '-o', 'json'], ['sites', '--bogus'], ['nonsense'], ['--help']];
    for (const args of cases) {
      const modules = runVigil(args, { VIGIL_COMPILED: '1', VIGIL_CODE_CACHE: '0' });
      for (const round of ['first', 'cached', 'corrupt']) {
        const cache = join(cacheDir, `${['check', 'import', 'sites'].includes(args[0]!) ? args[0] : 'other'}-${process.version}-${process.arch}.bin`);
        if (round === 'corrupt') writeFileSync(cache, Buffer.alloc(4096, 7));
        const r = runVigil(args, { VIGIL_COMPILED: '1' });
        expect(r.status, `${round}: ${args.join(' ')}: ${r.stderr}`).toBe(modules.status);
        expect(r.stdout, `${round}: ${args.join(' ')}`).toBe(modules.stdout);
        expect(r.stderr, `${round}: ${args.join(' ')}`).toBe(modules.stderr);
        // Written by the first run, and again by the run that refused the corrupt one.
        expect(existsSync(cache), `${round}: ${cache}`).toBe(true);
        expect(statSync(cache).size).toBeGreaterThan(4096);
      }
    }
    expect(readdirSync(cacheDir).filter((n) => !n.endsWith('.bin'))).toEqual([]); // no temporary file left
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
      rmSync(dirname(entryOf(changed)), { recursive: true, force: true }); // built by an earlier run of this test
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
