/**
 * What a director's reload does with each instance when its config goes from `before` to
 * `after`: the agent's own reload diff (runtime/diff.ts), in one shape for the plan.
 */
import type { ResolvedDirectorConfig } from '#schema';
import { diffInstances } from '../../runtime/diff.ts';

export interface ReloadAction {
  action: 'unchanged' | 'changed' | 'restarted' | 'added' | 'removed';
  /** What changed, in keepalived's words where the diff says. */
  detail: string[];
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Per instance name: the reload's action on this director. */
export function reloadActions(before: ResolvedDirectorConfig | undefined, after: ResolvedDirectorConfig | undefined): Map<string, ReloadAction> {
  const out = new Map<string, ReloadAction>();
  if (!before && !after) return out;
  if (!before) {
    for (const n of Object.keys(after!.instances)) out.set(n, { action: 'added', detail: [] });
    return out;
  }
  if (!after) {
    for (const n of Object.keys(before.instances)) out.set(n, { action: 'removed', detail: [] });
    return out;
  }
  const d = diffInstances(before, after);
  for (const n of d.kept) out.set(n, { action: 'unchanged', detail: [] });
  for (const n of d.added) out.set(n, { action: 'added', detail: [] });
  for (const n of d.removed) out.set(n, { action: 'removed', detail: [] });
  // This agent restarts an instance on any change to it (leave gracefully, start again).
  for (const n of d.changed) {
    const a = before.instances[n]!;
    const b = after.instances[n]!;
    const fields = Object.keys(b).filter((k) => !same((a as unknown as Record<string, unknown>)[k], (b as unknown as Record<string, unknown>)[k]));
    out.set(n, { action: 'restarted', detail: fields.length ? fields : ['a tracked object or global setting'] });
  }
  return out;
}
