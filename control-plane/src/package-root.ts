/**
 * The package root (where package.json names "vigil"), found by walking up from this module:
 * the same directory whether the control plane runs from its sources or from the compiled CLI
 * (agent/bin/compiled.mjs puts every module in one directory elsewhere, so paths relative to a
 * module would differ).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      try {
        if ((JSON.parse(readFileSync(p, 'utf8')) as { name?: unknown }).name === 'vigil') return (root = dir);
      } catch { /* keep looking */ }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the vigil package root above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}
