/**
 * What a director's reload does with each instance when its config goes from `before` to
 * `after`: the agent's own reload diff (runtime/diff.ts), in one shape for the plan. Changes in
 * place keep the instance's state and timers (no transition from the reload itself); a restart
 * (VRID, interface, version, family) leaves with priority 0 when master and starts again.
 */
import type { ResolvedDirectorConfig } from '#schema';
import { diffConfig } from '../../runtime/diff.ts';

export interface ReloadAction {
  action: 'unchanged' | 'changed' | 'restarted' | 'added' | 'removed';
  /** What changed, in keepalived's words (the reload diff's). */
  detail: string[];
}

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
  for (const c of diffConfig(before, after).instances) {
    out.set(c.name, { action: c.action, detail: c.action === 'changed' ? c.changes : c.action === 'restarted' ? c.why : [] });
  }
  return out;
}
