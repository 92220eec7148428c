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

/**
 * The control plane's node flags. A fixed young generation: V8 shrinks it to 1 MB whenever a
 * major GC finds the heap quiet (its memory reducer after a quiet spell; the periodic GC of an
 * idle control plane), and the next burst of work (a site document changing 200 clusters, 2,000
 * agents acknowledging) then scavenges every megabyte, promotes what is merely in flight into
 * old space and marks through it inside the burst: the event loop ran up to 99 ms late there,
 * against 9–22 ms once the young generation had grown again. Costs up to 32 MB of RSS (two 16 MB
 * semispaces), once, not per agent.
 */
const CONTROL_PLANE_NODE_FLAGS = ['--min-semi-space-size=16'];

/**
 * node reads V8's heap sizing only at start, and refuses it in NODE_OPTIONS: `vigil
 * control-plane` started without it replaces itself (execve, the same pid: a service manager or
 * a test that signals it still has the right process) with node under those flags. Not when
 * the flag was given (an operator's own size wins), nor with VIGIL_CP_NODE_FLAGS=off, nor without
 * the native addon (then it runs as it is).
 */
function reexecControlPlane(argv) {
  if (argv[0] !== 'control-plane' || process.env.VIGIL_CP_NODE_FLAGS === 'off') return;
  if (process.execArgv.some((a) => a.startsWith('--min-semi-space-size'))) return;
  let native;
  try {
    native = require(process.env.VIGIL_NATIVE_ADDON ?? join(__dirname, '../native/build/vigil_net.node'));
  } catch {
    return;
  }
  const env = Object.entries(process.env).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);
  try {
    native.exec(process.execPath, [process.execPath, ...CONTROL_PLANE_NODE_FLAGS, ...process.execArgv, process.argv[1], ...argv], env);
  } catch (e) {
    process.stderr.write(`vigil: could not restart the control plane with ${CONTROL_PLANE_NODE_FLAGS.join(' ')} (${e.message}); running without\n`);
  }
}

async function vigil(argv) {
  reexecControlPlane(argv);
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
