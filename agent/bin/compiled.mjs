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
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
// The build's own recipe (this file) counts: a change to it is a change to the output.
const SOURCES = ['agent/src', 'control-plane/src', 'schema/src', 'agent/bin', 'package.json'];
const KEEP = 4;
const LOCK_STALE_MS = 120_000;

/**
 * sha256 over every source file's path, size and mtime (a build is for exactly these sources;
 * the `*.test.ts` files beside them are not sources of the build).
 * Every `vigil` start pays for this walk, so it stays cheap: directory entries say what they are
 * (no stat of a directory), paths are built by concatenation (path.join normalises each one).
 */
export function fingerprint() {
  const h = createHash('sha256');
  const root = `${repo}/`;
  const file = (rel) => {
    const s = statSync(root + rel, { throwIfNoEntry: false });
    if (s) h.update(`${rel}\0${s.size}\0${Math.trunc(s.mtimeMs)}\n`);
  };
  const walk = (rel) => {
    let entries;
    try {
      entries = readdirSync(root + rel, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.isDirectory()) walk(`${rel}/${e.name}`);
      // Tests beside the sources are never part of the build: a fifth of the files, unstatted.
      else if (!e.name.endsWith('.test.ts')) file(`${rel}/${e.name}`);
    }
  };
  for (const s of SOURCES) {
    if (statSync(root + s, { throwIfNoEntry: false })?.isDirectory()) walk(s);
    else file(s);
  }
  return h.digest('hex').slice(0, 16);
}

export const distRoot = join(repo, 'agent', 'dist');
export const entryOf = (fp) => join(distRoot, `cli-${fp}`, 'vigil.mjs');

/** The compiled entry for the sources as they are now, or undefined if it is not built. */
export function compiledEntry(fp = fingerprint()) {
  const entry = entryOf(fp);
  return existsSync(entry) ? entry : undefined;
}

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
const requireCommonJs = {
  name: 'require-commonjs',
  setup(b) {
    b.onResolve({ filter: /^(pino|netlink)(\/|$)/ }, (a) => (a.namespace === 'require-commonjs' ? { path: a.path, external: true } : { path: a.path, namespace: 'require-commonjs' }));
    b.onLoad({ filter: /.*/, namespace: 'require-commonjs' }, (a) => ({ contents: `module.exports = require(${JSON.stringify(a.path)});`, loader: 'js' }));
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
      // Packages that load files of their own (native addons, wasm, worker scripts) stay packages.
      plugins: [englishOnly, requireCommonJs],
      // yaml is CommonJS and loaded with import() (spec files): bundled, esbuild's chunk would not
      // hand back its exports.
      external: ['yaml', '*.node', 'netlink', 'bufferutil', 'utf-8-validate', '@electric-sql/pglite', '@electric-sql/pglite/*', 'esbuild', 'tsx', 'tsx/*', 'pino', 'thread-stream'],
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
