/**
 * `vigil import FILE...`: the keepalived.conf of every director of one cluster (one file per
 * director, includes followed) -> one cluster spec, validated as the control plane will validate
 * it, with every finding located in the files (a disagreement at both places).
 */
import { basename } from 'node:path';
import { formatSpecPath, ResourceName, validateClusterSpec, type ClusterSpec } from '#schema';
import { convertToSpec } from '../../keepalived/convert.ts';
import type { ConfigFs } from '../../keepalived/fs.ts';
import { parseKeepalivedConf } from '../../keepalived/parser.ts';
import { fromDiagnostic, sortFindings, type Finding } from './findings.ts';
import { mergeDirectorSpecs, type DirectorSource } from './merge.ts';

type Obj = Record<string, unknown>;

export interface ImportResult {
  /** The cluster spec as imported (defaults not applied). */
  spec: Obj;
  /** The spec with defaults applied, when its shape is valid. */
  validSpec?: ClusterSpec;
  /** Director names, in file order. */
  directors: string[];
  findings: Finding[];
  /** No error-severity finding: the spec can be stored as it is. */
  ok: boolean;
}

/**
 * A control-plane name (lowercase DNS label) from a router_id or file name: "LVS_DEVEL" ->
 * "lvs-devel", "lb1.example.com" -> "lb1-example-com". Undefined when nothing usable is left.
 */
export function toResourceName(text: string): string | undefined {
  const name = text.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63).replace(/-+$/, '');
  return ResourceName.safeParse(name).success ? name : undefined;
}

/** The file's name without its directory and a .conf/.cf/.txt extension. */
const stem = (file: string) => basename(file).replace(/\.(conf|cf|txt)$/i, '');

/**
 * Picks one director name per file: the given names, else router_id, else the file name, as
 * control-plane names. Two files with the same router_id (the common `LVS_DEVEL`) fall back to
 * their file names.
 */
export function chooseDirectorNames(files: string[], routerIds: (string | undefined)[], given?: string[]): { names: string[]; findings: Finding[] } {
  const findings: Finding[] = [];
  if (given) return { names: given, findings };
  const fromRouter = routerIds.map((r) => (r ? toResourceName(r) : undefined));
  const counts = new Map<string, number>();
  for (const n of fromRouter) if (n) counts.set(n, (counts.get(n) ?? 0) + 1);
  const names: string[] = [];
  files.forEach((file, i) => {
    const r = fromRouter[i];
    let name = r && counts.get(r) === 1 ? r : toResourceName(stem(file)) ?? `director-${i + 1}`;
    while (names.includes(name)) name = `${name.slice(0, 60)}-${i + 1}`;
    if (r && counts.get(r)! > 1) {
      findings.push({
        severity: 'info', code: 'import-director-name',
        message: `router_id ${routerIds[i]} is in ${counts.get(r)} files: this director is named "${name}" after its file`,
        hint: 'give each director its own router_id, or name them with --directors a,b',
        locations: [{ file, line: 1, column: 1 }],
      });
    }
    names.push(name);
  });
  return { names, findings };
}

export interface ImportKeepalivedOptions {
  files: string[];
  /** Director names in file order (default: router_id, else the file name). */
  directors?: string[];
  fs?: ConfigFs;
}

/** Reads, converts, merges and validates; never throws on bad input (it is all findings). */
export function importKeepalived(options: ImportKeepalivedOptions): ImportResult {
  const findings: Finding[] = [];
  const parsed = options.files.map((file) => ({ file, parse: parseKeepalivedConf({ path: file }, options.fs ? { fs: options.fs } : {}) }));
  for (const p of parsed) findings.push(...p.parse.diagnostics.map(fromDiagnostic));
  const first = parsed.map((p) => convertToSpec(p.parse.tree, { file: p.file }));
  const routerIds = first.map((c) => (Object.values(c.spec.directors as Record<string, Obj>)[0]?.routerId as string | undefined));
  const { names, findings: naming } = chooseDirectorNames(options.files, routerIds, options.directors);
  findings.push(...naming);

  const sources: DirectorSource[] = parsed.map((p, i) => {
    const c = convertToSpec(p.parse.tree, { file: p.file, director: names[i]! });
    // The merged spec is validated below; the single-file spec's own validation would repeat it.
    findings.push(...c.diagnostics.filter((d) => d.code !== 'spec-invalid').map(fromDiagnostic));
    dropOwnInterfaceTracking(c.spec, c.locate, findings);
    return { director: names[i]!, file: p.file, spec: c.spec, locate: c.locate };
  });
  const merged = mergeDirectorSpecs(sources);
  findings.push(...merged.findings);

  const validated = validateClusterSpec(merged.spec);
  const single = sources.length === 1;
  for (const issue of validated.issues) {
    const unicastMembership = issue.code === 'FLEET_UNICAST_PEER_NOT_MEMBER' || issue.code === 'FLEET_UNICAST_MEMBER_NOT_PEER';
    const where = formatSpecPath(issue.path);
    findings.push({
      // One file cannot name its peers' directors: that is the other files' job.
      severity: single && unicastMembership ? 'warning' : issue.severity,
      code: issue.code,
      message: `${where ? `${where}: ` : ''}${issue.message}`,
      ...(single && unicastMembership
        ? { hint: 'import the keepalived.conf of every director of the cluster together: vigil import lb1.conf lb2.conf' }
        : issue.hint !== undefined && { hint: issue.hint }),
      locations: merged.locate(issue.path, issue.code),
    });
  }
  const sorted = sortFindings(dedupe(findings));
  return {
    spec: merged.spec,
    ...(validated.spec && { validSpec: validated.spec }),
    directors: names,
    findings: sorted,
    ok: !sorted.some((f) => f.severity === 'error'),
  };
}

/**
 * keepalived ignores a track_interface line naming the instance's own interface ("Ignoring
 * track_interface eth0 since own interface": it follows that interface anyway), and so does the
 * spec: the line is dropped with a warning.
 */
function dropOwnInterfaceTracking(spec: Obj, locate: (p: (string | number)[]) => { file: string; line: number; column: number }, findings: Finding[]): void {
  for (const [name, inst] of Object.entries((spec.vrrpInstances ?? {}) as Record<string, Obj>)) {
    const list = inst.trackInterfaces as { interface?: unknown }[] | undefined;
    if (!Array.isArray(list) || typeof inst.interface !== 'string') continue;
    const kept = list.filter((t) => t.interface !== inst.interface);
    if (kept.length === list.length) continue;
    inst.trackInterfaces = kept;
    findings.push({
      severity: 'warning', code: 'keepalived-differs', locations: [locate(['vrrpInstances', name, 'trackInterfaces'])],
      message: `vrrp_instance ${name}: track_interface ${inst.interface} is the instance's own interface; keepalived ignores the line (it follows that interface anyway), and so does Vigil`,
      hint: `remove ${inst.interface} from track_interface`,
    });
  }
}

/** A spec error on a line the reader already rejected says nothing new. */
function dedupe(list: Finding[]): Finding[] {
  const rejected = new Set(list.filter((f) => f.severity === 'error' && !/^(SHAPE_|FLEET_)/.test(f.code)).map((f) => `${f.locations[0]!.file}:${f.locations[0]!.line}`));
  const seen = new Set<string>();
  return list.filter((f) => {
    const l = f.locations[0]!;
    if (/^(SHAPE_|FLEET_)/.test(f.code) && f.severity === 'error' && rejected.has(`${l.file}:${l.line}`)) return false;
    const key = `${f.code}|${f.message}|${l.file}:${l.line}:${l.column}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
