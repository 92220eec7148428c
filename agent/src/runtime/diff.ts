/**
 * Reload as a diff (SIGHUP, or a new revision from the control plane): an instance is kept,
 * with its state, timers and VIPs, when its effective config and every tracked object it uses
 * are unchanged; otherwise it leaves and starts again. Pure.
 */
import type { ResolvedDirectorConfig, ResolvedVrrpInstance } from '../../../schema/src/spec/resolve.ts';

export interface InstanceDiff {
  kept: string[];
  changed: string[];
  added: string[];
  removed: string[];
}

/** Everything that shapes how one instance runs, as one comparable string. */
function fingerprint(cfg: ResolvedDirectorConfig, inst: ResolvedVrrpInstance): string {
  const pick = <T>(all: Record<string, T>, refs: { name: string }[]) => refs.map((r) => [r.name, all[r.name]]);
  return JSON.stringify({
    inst,
    scripts: pick(cfg.vrrpScripts, inst.trackScripts),
    files: pick(cfg.trackFiles, inst.trackFiles),
    processes: pick(cfg.trackProcesses, inst.trackProcesses),
    group: inst.syncGroup ? cfg.syncGroups[inst.syncGroup] : null,
    global: cfg.global,
  });
}

export function diffInstances(before: ResolvedDirectorConfig, after: ResolvedDirectorConfig): InstanceDiff {
  const d: InstanceDiff = { kept: [], changed: [], added: [], removed: [] };
  for (const name of Object.keys(before.instances)) if (!Object.hasOwn(after.instances, name)) d.removed.push(name);
  for (const [name, inst] of Object.entries(after.instances)) {
    const old = before.instances[name];
    if (!old || !Object.hasOwn(before.instances, name)) d.added.push(name);
    else if (fingerprint(before, old) === fingerprint(after, inst)) d.kept.push(name);
    else d.changed.push(name);
  }
  return d;
}
