/**
 * The compiled CLI as one CommonJS script (agent/bin/compiled.mjs builds it beside the ES module
 * build), for every command but `control-plane`: node 20 can start a script, unlike an ES module,
 * from a V8 code cache, which spares `vigil check` and the fleet commands most of their parsing
 * and compiling. agent/bin/compiled.mjs's runCached() runs it.
 */
export { isCommand, main } from './main.ts';
