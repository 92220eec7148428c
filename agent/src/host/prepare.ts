/**
 * The parts of a revision's preparation that are not sockets or the data plane: every script it
 * names can run (vrrp_script, notify hooks, MISC_CHECK, notify_up/down, quorum_up/down), and
 * every track_file it initialises has a directory to live in. Problems name the object and what
 * to do; a revision with any is refused before anything changes.
 */
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ResolvedDirectorConfig } from '../../../schema/src/spec/resolve.ts';
import type { NotifyHooks } from '../../../schema/src/spec/tracking.ts';
import type { HookRunner } from '../runtime/hooks.ts';

/** Every command the revision would run, with where it is configured. */
export function commandsOf(config: ResolvedDirectorConfig): Array<{ where: string; command: string }> {
  const out: Array<{ where: string; command: string }> = [];
  const hooks = (where: string, n: NotifyHooks | undefined) => {
    if (!n) return;
    for (const k of ['master', 'backup', 'fault', 'stop', 'any', 'masterRxLowerPri', 'deleted'] as const) {
      const c = n[k];
      if (c) out.push({ where: `${where} ${k === 'any' ? 'notify' : `notify_${k === 'masterRxLowerPri' ? 'master_rx_lower_pri' : k}`}`, command: c });
    }
  };
  const scripts = new Set<string>();
  for (const inst of Object.values(config.instances)) {
    for (const t of inst.trackScripts) scripts.add(t.name);
    hooks(`vrrp_instance ${inst.name}`, inst.notify);
  }
  for (const name of scripts) {
    const s = Object.hasOwn(config.vrrpScripts, name) ? config.vrrpScripts[name] : undefined;
    if (s) out.push({ where: `vrrp_script ${name}`, command: s.script });
  }
  for (const [name, g] of Object.entries(config.syncGroups)) hooks(`vrrp_sync_group ${name}`, g.notify);
  for (const vs of config.virtualServers) {
    const at = vs.fwmark !== undefined ? `virtual_server fwmark ${vs.fwmark}` : vs.group !== undefined ? `virtual_server group ${vs.group}` : `virtual_server ${vs.address} ${vs.port ?? 0}`;
    if (vs.quorumUp) out.push({ where: `${at} quorum_up`, command: vs.quorumUp });
    if (vs.quorumDown) out.push({ where: `${at} quorum_down`, command: vs.quorumDown });
    for (const rs of vs.realServers) {
      const rat = `${at} real_server ${rs.address} ${rs.port ?? vs.port ?? 0}`;
      if (rs.notifyUp) out.push({ where: `${rat} notify_up`, command: rs.notifyUp });
      if (rs.notifyDown) out.push({ where: `${rat} notify_down`, command: rs.notifyDown });
      for (const c of rs.checkers) if (c.type === 'MISC_CHECK') out.push({ where: `${rat} MISC_CHECK misc_path`, command: c.miscPath });
    }
  }
  return out;
}

export function scriptAndFileProblems(config: ResolvedDirectorConfig, hooks: HookRunner): string[] {
  const problems: string[] = [];
  if (hooks.check) {
    const seen = new Map<string, string | undefined>();
    for (const { where, command } of commandsOf(config)) {
      if (!seen.has(command)) seen.set(command, hooks.check(command));
      const why = seen.get(command);
      if (why) problems.push(`${where} "${command}": ${why} (install it, fix the path, or remove the reference)`);
    }
  }
  const files = new Set<string>();
  for (const inst of Object.values(config.instances)) for (const t of inst.trackFiles) files.add(t.name);
  for (const name of files) {
    const f = Object.hasOwn(config.trackFiles, name) ? config.trackFiles[name] : undefined;
    if (f?.initFile && !existsSync(dirname(f.file))) problems.push(`track_file ${name}: init_file ${f.file} cannot be created: ${dirname(f.file)} does not exist`);
  }
  return problems;
}
