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
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Script } from 'node:vm';

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

/** The CommonJS script of a build (every command but `control-plane`), beside its ES modules. */
export const FAST_SCRIPT = 'vigil-cached.cjs';

/**
 * Runs `vigil ARGV` from the CommonJS script of the build whose entry is `entry`, started from the
 * V8 code cache of that command when there is one: V8 then takes the compiled functions from the
 * cache instead of parsing and compiling them (about a fifth of `vigil check`'s start). The cache
 * is written at the exit of a run that had none (or whose cache V8 refused: another node), so it
 * holds every function that command ran, into the build's own directory (a new build starts
 * without). A cache that cannot be written is not an error; V8 checks a cache against the source
 * and its own version and flags, and refuses one that does not match.
 * Resolves with the exit code, or returns undefined when the build has no such script.
 */
export function runCached(entry, argv) {
  const dir = dirname(entry);
  const file = join(dir, FAST_SCRIPT);
  let source;
  try {
    source = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  // One line with the script's first, so line numbers in stack traces are the file's.
  const wrapped = `(function (exports, require, module, __filename, __dirname, __vigil_import_meta_url) {${source}\n})`;
  const cacheOf = (name) => join(dir, 'v8-cache', `${name}-${process.version}-${process.arch}.bin`);
  const name = /^[a-z][a-z-]{0,31}$/.test(argv[0] ?? '') ? argv[0] : 'other';
  let cacheFile = cacheOf(name);
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch { /* the first run of this command with this build */ }
  const script = new Script(wrapped, { filename: file, ...(cachedData && { cachedData }) });
  const mod = { exports: {} };
  // import.meta.url of the ES module build's entry: `new URL('./worker-entry.mjs', …)` and the
  // native addon's '../../native/…' resolve as from its chunks.
  script.runInThisContext()(mod.exports, createRequire(file), mod, file, dir, pathToFileURL(entry).href);
  if (!cachedData || script.cachedDataRejected) {
    process.once('exit', () => {
      // One cache per command: anything else (a typo, --help) shares one.
      if (name !== 'other' && !mod.exports.isCommand(name)) cacheFile = cacheOf('other');
      try {
        mkdirSync(dirname(cacheFile), { recursive: true });
        const tmp = `${cacheFile}.${process.pid}`;
        writeFileSync(tmp, script.createCachedData());
        renameSync(tmp, cacheFile);
      } catch { /* a read-only install: no cache, the same start as without */ }
    });
  }
  return mod.exports.main(argv);
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
