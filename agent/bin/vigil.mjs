#!/usr/bin/env node
// The `vigil` command. It runs the compiled build (agent/bin/compiled.mjs: built by `npm ci`, and
// rebuilt here when a source file changed since), so a start costs no TypeScript transpiling.
// If no build can be made (esbuild missing), the sources run through tsx's loader instead.
// VIGIL_SOURCES=1 forces the sources (tsx); VIGIL_COMPILED=1 refuses them (tests and benches
// that must measure the compiled build); VIGIL_CODE_CACHE=0 runs the compiled ES modules without
// the code-cached CommonJS script.
import { buildCompiled, compiledEntry, runCached } from './compiled.mjs';

let entry;
if (process.env.VIGIL_SOURCES !== '1') {
  entry = compiledEntry();
  if (!entry) {
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
  // Every command but the control plane starts from the build's CommonJS script and a V8 code
  // cache (compiled.mjs); VIGIL_CODE_CACHE=0 runs the ES modules instead.
  const cached = process.argv[2] !== 'control-plane' && process.env.VIGIL_CODE_CACHE !== '0' ? runCached(entry, process.argv.slice(2)) : undefined;
  if (cached) process.exitCode = await cached;
  else await import(entry);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import('../src/cli/main.ts');
  process.exitCode = await main(process.argv.slice(2));
}
