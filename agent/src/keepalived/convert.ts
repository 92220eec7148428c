/**
 * keepalived.conf tree -> ClusterSpec for ONE director, then the spec's own validation (shape
 * + fleet rules) with every issue mapped back to the file:line it came from.
 *
 * The director is named by `router_id` when that is a valid host name, else by the file name
 * (`lb1.conf` -> `lb1`). Everything the file says lands at instance level; merge.ts turns
 * several directors' specs into one with per-director overrides.
 */
import { basename } from 'node:path';
import { formatSpecPath, validateClusterSpec, type ClusterSpec, type SpecIssue } from '#schema';
import { ConvertContext, record, type SpecPath } from './convert-util.ts';
import { convertVirtualServer, convertVirtualServerGroup } from './convert-lvs.ts';
import { convertGlobal, convertInstance, convertScript, convertSyncGroup, convertTrackFile, convertTrackProcess } from './convert-vrrp.ts';
import { diag, type Diagnostic, type Location } from './diagnostics.ts';
import type { ConfNode } from './tree.ts';

type Obj = Record<string, unknown>;

export interface ConvertResult {
  /** The spec as converted (defaults not applied); feed it to parseClusterSpec/merge. */
  spec: Obj;
  director: string;
  /** Converter findings plus spec-validation issues, located in the file. */
  diagnostics: Diagnostic[];
  /** The validated spec (defaults applied) when shape validation passed. */
  validSpec?: ClusterSpec;
  /** Where a spec path came from (longest known prefix). */
  locate(path: SpecPath): Location;
}

const DIRECTOR_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/** The director name for a file: router_id if usable, else the file name without extension. */
export function directorNameFor(file: string, routerId?: string): string {
  if (routerId && DIRECTOR_NAME.test(routerId)) return routerId;
  const base = basename(file).replace(/\.conf$/, '').replace(/[^A-Za-z0-9_.-]/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return base.slice(0, 63) || 'director';
}

/**
 * Converts one parsed keepalived.conf into a single-director cluster spec and validates it.
 *
 * @example
 * const { tree } = parseKeepalivedConf({ path: 'lb1.conf' });
 * const { spec, director, diagnostics } = convertToSpec(tree, { file: 'lb1.conf' });
 */
export function convertToSpec(tree: ConfNode[], options: { file: string; director?: string }): ConvertResult {
  const ctx = new ConvertContext({ file: options.file, line: 1, column: 1 });
  const global: Obj = {};
  const directorSettings: Obj = {};
  // Every record keyed by a name from the file has no prototype: "__proto__", "constructor" or
  // "valueOf" are names like any other, never members of Object.prototype.
  const vrrpScripts = record<Obj>();
  const trackFiles = record<Obj>();
  const trackProcesses = record<Obj>();
  const vrrpInstances = record<Obj>();
  const syncGroups = record<Obj>();
  const virtualServerGroups = record<Obj>();
  const directors = record<Obj>();
  const virtualServers: Obj[] = [];
  const spec: Obj = { version: 1, global, directors, vrrpScripts, trackFiles, trackProcesses, vrrpInstances, syncGroups, virtualServerGroups, virtualServers };
  const seen = new Map<string, Location>();
  /** The name of a named block, or undefined when keepalived would not use this block. */
  const named = (kind: string, node: ConfNode): string | undefined => {
    const tok = node.args[0];
    if (tok === undefined) return undefined;
    const name = tok.text;
    if (name === '__proto__') {
      // The cluster spec is JSON: a "__proto__" key does not survive JSON tooling (zod drops it).
      ctx.error(tok, 'invalid-value', `${kind} name "__proto__" cannot be used by Vigil: it is reserved in JSON objects`, `rename the ${kind}`);
      return undefined;
    }
    const key = `${kind}\u0000${name}`;
    const prev = seen.get(key);
    if (prev) {
      // keepalived: "vrrp instance X already defined" and the block is skipped; scripts and
      // tracked objects are looked up by name, first found.
      ctx.warn(node.keyword, 'duplicate', `${kind} "${name}" is defined again (first at line ${prev.line}): keepalived keeps the first and ignores this one, and so does Vigil`, 'rename or delete one of them');
      return undefined;
    }
    seen.set(key, node.keyword);
    return name;
  };
  for (const node of tree) {
    if (!node.children) continue;
    const k = node.keyword.text;
    let name: string | undefined;
    switch (k) {
      case 'global_defs': convertGlobal(node, global, directorSettings, ctx); break;
      case 'vrrp_script':
        if ((name = named(k, node))) vrrpScripts[name] = convertScript(node, ctx, ['vrrpScripts', name]);
        break;
      case 'track_file': case 'vrrp_track_file':
        if ((name = named('track_file', node))) trackFiles[name] = convertTrackFile(node, ctx, ['trackFiles', name]);
        break;
      case 'vrrp_track_process':
        if ((name = named(k, node))) trackProcesses[name] = convertTrackProcess(node, ctx, ['trackProcesses', name]);
        break;
      case 'vrrp_instance':
        if ((name = named(k, node))) vrrpInstances[name] = convertInstance(node, ctx, ['vrrpInstances', name], global);
        break;
      case 'vrrp_sync_group':
        if ((name = named(k, node))) syncGroups[name] = convertSyncGroup(node, ctx, ['syncGroups', name]);
        break;
      case 'virtual_server_group':
        if ((name = named(k, node))) virtualServerGroups[name] = convertVirtualServerGroup(node, ctx, ['virtualServerGroups', name]);
        break;
      case 'virtual_server':
        virtualServers.push(convertVirtualServer(node, ctx, ['virtualServers', virtualServers.length]));
        break;
    }
  }
  const director = options.director ?? directorNameFor(options.file, directorSettings.routerId as string | undefined);
  directors[director] = directorSettings;
  // Source addresses are node-local: the spec keeps them in the director's override.
  for (const [name, inst] of Object.entries(vrrpInstances)) {
    const local = record();
    for (const key of ['unicastSrcIp', 'mcastSrcIp']) {
      if (inst[key] === undefined) continue;
      local[key] = inst[key];
      delete inst[key];
      ctx.at(['vrrpInstances', name, 'directors', director, key], ctx.locate(['vrrpInstances', name, key]));
    }
    if (Object.keys(local).length) {
      const overrides = record<Obj>();
      overrides[director] = local;
      inst.directors = overrides;
    }
    // A unicast instance without a source address: the fleet rules ask for this director's
    // unicastSrcIp; the place to write it is the instance's unicast_peer block.
    ctx.at(['directors', director, 'unicastSrcIp'], ctx.locate(['vrrpInstances', name, 'unicastPeers']));
  }
  ctx.at(['directors', director], ctx.locate(['directors']));

  const validated = validateClusterSpec(spec);
  // One keepalived.conf describes one director: its unicast peers are the OTHER directors, which
  // this file cannot declare. Membership of unicast peers is checked when files are merged into
  // a cluster spec (vigil import) or on the control plane, never on a single file.
  const crossDirector = new Set(['FLEET_UNICAST_PEER_NOT_MEMBER', 'FLEET_UNICAST_MEMBER_NOT_PEER']);
  const issues = validated.issues.filter((i) => !crossDirector.has(i.code));
  const diagnostics = [...ctx.diagnostics, ...issues.map((i) => specIssueDiagnostic(i, ctx))];
  return {
    spec,
    director,
    diagnostics,
    ...(validated.spec && { validSpec: validated.spec }),
    locate: (p) => ctx.locate(p),
  };
}

/** A spec-validation issue as a located diagnostic (`spec-invalid`, the spec code in the message). */
export function specIssueDiagnostic(issue: SpecIssue, ctx: { locate(path: SpecPath): Location }): Diagnostic {
  const where = formatSpecPath(issue.path);
  return diag(issue.severity, 'spec-invalid', ctx.locate(issue.path), `${where ? `${where}: ` : ''}${issue.message} [${issue.code}]`, {
    ...(issue.hint !== undefined && { hint: issue.hint }),
  });
}
