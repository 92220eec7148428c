/**
 * No module imports itself through others (types included): a circle hides which module is the
 * base of which, and a runtime one makes load order matter. The in-memory fakes are the one
 * accepted exception: FakeHost owns its fakes and each fake names FakeHost's type.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../..');
const ALLOWED = /^agent\/src\/os\/fake\//;

function sources(dir: string, out: string[] = []): string[] {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (p.endsWith('.ts') && !p.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

function cycles(roots: string[]): string[] {
  const graph = new Map<string, string[]>();
  for (const f of roots.flatMap((r) => sources(join(repo, r)))) {
    const deps = [...readFileSync(f, 'utf8').matchAll(/^(?:import|export)\s[^'"]*?from\s+'(\.[^']+)'/gm)].map((m) => resolve(dirname(f), m[1]!));
    graph.set(f, deps);
  }
  const found = new Set<string>();
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string) => {
    state.set(n, 'open');
    stack.push(n);
    for (const d of graph.get(n) ?? []) {
      if (!graph.has(d)) continue;
      if (state.get(d) === 'open') found.add(stack.slice(stack.indexOf(d)).map((x) => relative(repo, x)).join(' -> '));
      else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of graph.keys()) if (!state.has(n)) visit(n);
  return [...found].filter((c) => !c.split(' -> ').every((m) => ALLOWED.test(m)));
}

describe('import graph', () => {
  it('has no circles in the agent, the control plane or the schema', () => {
    expect(cycles(['agent/src', 'control-plane/src', 'schema/src'])).toEqual([]);
  });
});
