/**
 * The child half of `lab.serve(ns, module)` (see netns.ts): runs inside a network namespace,
 * imports `module` (path relative to the repo root), calls its `serve(emit)` to get a table of
 * methods, and answers JSON-line requests `{ id, method, args }` on stdin with `{ id, result }`
 * or `{ id, error }` on stdout. `emit(event, data)` sends `{ event, data }`. stdout carries only
 * protocol lines; diagnostics go to stderr. The child exits when stdin closes.
 */
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

export type Emit = (event: string, data: unknown) => void;
export type Methods = Record<string, (...args: never[]) => unknown>;

const modulePath = process.argv[2];
if (!modulePath) {
  console.error('usage: netns-child.ts MODULE');
  process.exit(2);
}
const write = (msg: unknown) => process.stdout.write(`${JSON.stringify(msg)}\n`);
const mod = (await import(pathToFileURL(resolve(modulePath)).href)) as { serve: (emit: Emit) => Methods | Promise<Methods> };
const methods = await mod.serve((event, data) => write({ event, data }));

createInterface({ input: process.stdin })
  .on('line', (line) => {
    const { id, method, args } = JSON.parse(line) as { id: number; method: string; args: unknown[] };
    const fn = methods[method] as ((...a: unknown[]) => unknown) | undefined;
    if (!fn) return write({ id, error: `no method '${method}' in ${modulePath}` });
    Promise.resolve()
      .then(() => fn(...args))
      .then(
        (result) => write({ id, result: result ?? null }),
        (err: Error) => write({ id, error: err?.stack ?? String(err) }),
      );
  })
  .on('close', () => process.exit(0));
write({ ready: true });
