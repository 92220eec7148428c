#!/usr/bin/env node
// `node agent/bin/vigil.mjs …` as before: the `vigil` command is agent/bin/vigil.cjs (package.json's
// bin), which this runs. Starting here costs node's ES module loader on top (~8 ms).
import './vigil.cjs';
