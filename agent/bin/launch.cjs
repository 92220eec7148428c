// The hot path of every `vigil` start, in CommonJS so that starting it loads no ES module
// machinery (node's ES module loader is ~8 ms of a start here): which compiled build matches the
// sources (the fingerprint), and running a command from that build's code-cached script.
// agent/bin/compiled.mjs makes the builds and re-exports these.
'use strict';
const { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { dirname, join } = require('node:path');
const { pathToFileURL } = require('node:url');
const { Script } = require('node:vm');

const repo = join(__dirname, '..', '..');
// The build's own recipe (agent/bin) counts: a change to it is a change to the output.
const SOURCES = ['agent/src', 'control-plane/src', 'schema/src', 'agent/bin', 'package.json'];

/**
 * A hash of every source file's path, size and mtime (a build is for exactly these sources;
 * the `*.test.ts` files beside them are not sources of the build).
 * Every `vigil` start pays for this walk, so it stays cheap: directory entries say what they are
 * (no stat of a directory), paths are built by concatenation (path.join normalises each one).
 */
function fingerprint() {
  let text = '';
  const root = `${repo}/`;
  const file = (rel) => {
    const s = statSync(root + rel, { throwIfNoEntry: false });
    if (s) text += `${rel}\0${s.size}\0${Math.trunc(s.mtimeMs)}\n`;
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
  return fnv64(text);
}

/**
 * FNV-1a over the walk's text, two 32-bit lanes (64 bits: 16 hex digits): the key of a build
 * among the few kept, not a defence against anyone (whoever can write the sources owns the build).
 * Not node:crypto's sha256: loading node:crypto was ~5 ms of a `vigil check` that needs nothing
 * else from it.
 */
function fnv64(text) {
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c ^ (a >>> 24), 0x01000193);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}

const distRoot = join(repo, 'agent', 'dist');
const entryOf = (fp) => join(distRoot, `cli-${fp}`, 'vigil.mjs');

/** The compiled entry for the sources as they are now, or undefined if it is not built. */
function compiledEntry(fp = fingerprint()) {
  const entry = entryOf(fp);
  return existsSync(entry) ? entry : undefined;
}

/** The CommonJS script of a build (every command but `control-plane`), beside its ES modules. */
const FAST_SCRIPT = 'vigil-cached.cjs';

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
function runCached(entry, argv) {
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

module.exports = { repo, SOURCES, fingerprint, distRoot, entryOf, compiledEntry, FAST_SCRIPT, runCached };
