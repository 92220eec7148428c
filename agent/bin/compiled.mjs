// The `vigil` command as compiled JavaScript: the CLI, the control plane and the agent bundled by
// esbuild into agent/dist/cli-<fingerprint>/ (one chunk per lazily loaded command, so `vigil
// check` parses only what it runs; dependencies inside, except those that load files of their
// own package). Built by `npm ci` (the root install script) and again by the first `vigil` run
// after a source changed: the fingerprint is every source file's path, size and mtime, so a
// compiled build never runs code that differs from the sources beside it. Plain JavaScript, no
// dependency until a build is needed.
//
// Layout: the output directory is two levels under agent/ like the sources' agent/src/<dir>/, so
// agent/src/os/native.ts's `new URL('../../native/build/…', import.meta.url)` resolves the same;
// worker entries sit beside the chunks under the names the sources use ('./worker-entry.mjs' for
// the health checks, './pglite-worker.mjs' for the embedded database).
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import launch from './launch.cjs';

// What every start needs (the fingerprint, the code-cached run) is CommonJS: agent/bin/launch.cjs.
export const { fingerprint, distRoot, entryOf, compiledEntry, FAST_SCRIPT, runCached } = launch;
const { repo } = launch;
const KEEP = 4;
const LOCK_STALE_MS = 120_000;

/**
 * zod's index re-exports ~40 message locales that Vigil never selects (messages are English):
 * the build keeps `en` only, which zod configures itself. A third of `vigil check`'s start was
 * parsing them.
 */
const englishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /\/locales\/index\.js$/ }, (a) => (/[\\/]zod[\\/]/.test(a.importer) ? { path: join(dirname(a.importer), '..', 'locales', 'index.js'), namespace: 'zod-locales', pluginData: dirname(a.importer) } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (a) => ({ contents: 'export { default as en } from "./en.js";', resolveDir: join(a.pluginData, '..', 'locales') }));
  },
};

/**
 * pino and netlink are CommonJS packages kept outside the bundle. An ES module's `import` of
 * CommonJS makes node lex the module's source (and every module it re-exports) for its export
 * names before it runs: ~15 ms of the agent's start for netlink's generated structs and pino.
 * These imports become require() calls (the banner's), which load the same files unlexed.
 */
const requireCommonJs = (filter = /^(pino|netlink)(\/|$)/) => ({
  name: 'require-commonjs',
  setup(b) {
    b.onResolve({ filter }, (a) => (a.namespace === 'require-commonjs' ? { path: a.path, external: true } : { path: a.path, namespace: 'require-commonjs' }));
    b.onLoad({ filter: /.*/, namespace: 'require-commonjs' }, (a) => ({ contents: `module.exports = require(${JSON.stringify(a.path)});`, loader: 'js' }));
  },
});

// Packages that load files of their own (native addons, wasm, worker scripts) stay packages.
// yaml is CommonJS and loaded with import() (spec files): bundled, esbuild's chunk would not hand
// back its exports.
const EXTERNAL = ['yaml', '*.node', 'netlink', 'bufferutil', 'utf-8-validate', '@electric-sql/pglite', '@electric-sql/pglite/*', 'esbuild', 'tsx', 'tsx/*', 'pino', 'thread-stream'];

/** The control plane is not in the CommonJS script: `vigil control-plane` runs the ES module build. */
const controlPlaneElsewhere = {
  name: 'control-plane-elsewhere',
  setup(b) {
    b.onResolve({ filter: /control-plane[\\/]src[\\/]main\.ts$/ }, () => ({ path: 'control-plane', namespace: 'control-plane-elsewhere' }));
    b.onLoad({ filter: /.*/, namespace: 'control-plane-elsewhere' }, () => ({ contents: 'export const runControlPlane = () => { throw new Error("vigil control-plane runs from the ES module build"); };', loader: 'js' }));
  },
};

/**
 * Builds the compiled CLI for the sources as they are now; returns its entry. Concurrent builds
 * are safe: each writes a private directory and renames it into place (the first one wins).
 */
export async function buildCompiled() {
  const fp = fingerprint();
  const final = dirname(entryOf(fp));
  if (existsSync(entryOf(fp))) return entryOf(fp);
  mkdirSync(distRoot, { recursive: true });
  // One build per fingerprint: many processes started at once (a test suite's agents) wait for
  // the first one's build instead of each running esbuild. A lock older than a build can take is
  // a dead builder's, and is taken over.
  const lock = join(distRoot, `.lock-${fp}`);
  for (const t0 = Date.now(); ;) {
    try {
      mkdirSync(lock);
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
    }
    if (existsSync(entryOf(fp))) return entryOf(fp);
    const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? 0);
    if (age > LOCK_STALE_MS || Date.now() - t0 > LOCK_STALE_MS) {
      rmSync(lock, { recursive: true, force: true });
      continue;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  try {
    if (existsSync(entryOf(fp))) return entryOf(fp);
    await buildInto(fp, final);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
  prune(final);
  return entryOf(fp);
}

async function buildInto(fp, final) {
  const { build } = await import('esbuild');
  const tmp = join(distRoot, `.build-${process.pid}-${Date.now()}`);
  try {
    await build({
      absWorkingDir: repo,
      entryPoints: {
        vigil: 'agent/src/cli/main-entry.ts',
        'worker-entry': 'agent/src/checks/worker-thread.ts',
        'pglite-worker': 'control-plane/src/pglite/worker.ts',
      },
      outdir: tmp, outExtension: { '.js': '.mjs' }, chunkNames: 'chunk-[hash]',
      bundle: true, splitting: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'error',
      // CommonJS dependencies call require(); give the ES modules one.
      banner: { js: "import { createRequire as __vigilCreateRequire } from 'node:module'; const require = __vigilCreateRequire(import.meta.url);" },
      plugins: [englishOnly, requireCommonJs()],
      external: EXTERNAL,
    });
    await build({
      absWorkingDir: repo,
      entryPoints: ['agent/src/cli/fast-entry.ts'],
      outfile: join(tmp, FAST_SCRIPT),
      bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'error',
      // Modules resolve from the ES module build's directory, as if they were its chunks.
      define: { 'import.meta.url': '__vigil_import_meta_url' },
      // Read whole at every start: whitespace and comments out (names stay, for stack traces).
      minifyWhitespace: true, minifySyntax: true,
      // yaml's import() becomes a require() too: a script run by node:vm has no import() without
      // an experimental loader hook.
      plugins: [englishOnly, controlPlaneElsewhere, requireCommonJs(/^(pino|netlink|yaml)(\/|$)/)],
      external: EXTERNAL,
    });
    try {
      renameSync(tmp, final);
    } catch (e) {
      if (!existsSync(entryOf(fp))) throw e;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Older builds beyond the newest KEEP (a long-running process may still load chunks from one). */
function prune(current) {
  const builds = readdirSync(distRoot).filter((n) => n.startsWith('cli-')).map((n) => join(distRoot, n))
    .filter((p) => p !== current).map((p) => ({ p, t: statSync(p).mtimeMs })).sort((a, b) => b.t - a.t);
  for (const { p } of builds.slice(KEEP - 1)) rmSync(p, { recursive: true, force: true });
  // A killed builder's private directory.
  for (const n of readdirSync(distRoot).filter((x) => x.startsWith('.build-'))) {
    const p = join(distRoot, n);
    if (Date.now() - (statSync(p, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()) > LOCK_STALE_MS) rmSync(p, { recursive: true, force: true });
  }
}

// `node agent/bin/compiled.mjs`: build now (the install script; prints where).
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const t0 = Date.now();
  const entry = await buildCompiled();
  console.log(`vigil: compiled CLI ${relative(repo, entry)} (${Date.now() - t0} ms)`);
}
