#!/usr/bin/env node
// The `vigil` command (package.json's bin). It runs the compiled build (agent/bin/compiled.mjs:
// built by `npm ci`, and rebuilt here when a source file changed since), so a start costs no
// TypeScript transpiling; every command but the control plane from the build's code-cached
// CommonJS script (agent/bin/launch.cjs). CommonJS itself: a start that loads no ES module pays
// nothing for node's ES module loader. If no build can be made (esbuild missing), the sources
// run through tsx's loader instead.
// VIGIL_SOURCES=1 forces the sources (tsx); VIGIL_COMPILED=1 refuses them (tests and benches
// that must measure the compiled build); VIGIL_CODE_CACHE=0 runs the compiled ES modules without
// the code-cached script.
'use strict';
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');
const { compiledEntry, runCached } = require('./launch.cjs');

async function vigil(argv) {
  let entry;
  if (process.env.VIGIL_SOURCES !== '1') {
    entry = compiledEntry();
    if (!entry) {
      const { buildCompiled } = await import('./compiled.mjs');
      entry = await buildCompiled().catch((e) => {
        process.stderr.write(`vigil: could not compile the CLI (${e.message.split('\n')[0]}); running the sources with tsx\n`);
        return undefined;
      });
    }
  }
  if (!entry && process.env.VIGIL_COMPILED === '1') {
    process.stderr.write('vigil: VIGIL_COMPILED=1 and no compiled build could be made\n');
    process.exit(70);
  }
  if (entry) {
    const cached = argv[0] !== 'control-plane' && process.env.VIGIL_CODE_CACHE !== '0' ? runCached(entry, argv) : undefined;
    if (cached) process.exitCode = await cached;
    else await import(pathToFileURL(entry).href); // the ES module build's entry runs the command itself
    return;
  }
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import(pathToFileURL(join(__dirname, '../src/cli/main.ts')).href);
  process.exitCode = await main(argv);
}

vigil(process.argv.slice(2)).catch((e) => {
  // What an ES module's top-level await would have done with it: print it, exit 1.
  process.exitCode = 1;
  throw e;
});
