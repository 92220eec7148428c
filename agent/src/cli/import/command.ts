/**
 * `vigil import`: existing keepalived (or Heartbeat + ldirectord) directors -> one cluster spec,
 * printed (`--dry-run`, `-o json|yaml`) or stored through the API (site, cluster and directors
 * created as needed, the spec stored as a revision).
 */
import { readFileSync } from 'node:fs';
import { bool, int, list, str } from '../fleet/args.ts';
import { makeCtx, run, CONNECTION_HELP, type Ctx, type Io } from '../fleet/context.ts';
import { CliError, EXIT, UsageError } from '../fleet/errors.ts';
import { json } from '../fleet/output.ts';
import { toYaml } from '../fleet/spec-file.ts';
import { countBySeverity, formatFinding } from './findings.ts';
import { importKeepalived, toResourceName, type ImportResult } from './keepalived.ts';
import { importLegacy } from './legacy.ts';
import { MAX_BYTES } from './text-lines.ts';

export const IMPORT_USAGE = `usage: vigil import FILE... --site S --cluster C [--directors lb1,lb2] [--dry-run | -o json|yaml]
       vigil import --ldirectord FILE [--haresources FILE] [--ha-cf FILE] [--vrid N] [--interface IF] --site S --cluster C

Bring existing directors under the control plane. FILE... is the keepalived.conf of every director
of one cluster, one file per director as it is on the box (includes are followed): shared parts are
merged, per-director parts (priority, state, interface, unicast source) kept per director, and every
disagreement between the files is reported at both file:line places.

With --ldirectord, a Heartbeat + ldirectord pair is converted instead: virtual services, real
servers, checks and fallback from ldirectord.cf (its defaults written out where keepalived's differ),
the VIPs, nodes and resources from haresources/ha.cf; what has no equivalent is reported by line.

  --directors a,b    director names in file order (default: router_id, else the file name)
  --dry-run          print the findings and the spec; change nothing (same as -o yaml)
  -o json|yaml       print the spec (json: with the findings) instead of storing it
  --site S --cluster C   where to store it: created if missing, with the directors
  --message M        the revision's message
  --replace          store it even if the cluster already has a spec (as a new revision)

exit codes: 0 imported (warnings allowed), 1 the files have errors (nothing stored), others as below.
${CONNECTION_HELP}`;

function readInput(file: string): { file: string; text: string } {
  try {
    const buf = readFileSync(file);
    if (buf.length > MAX_BYTES) throw new CliError(`${file}: larger than ${MAX_BYTES} bytes`, EXIT.INVALID);
    return { file, text: buf.toString('utf8') };
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`${file}: ${(e as Error).message}`, EXIT.INVALID);
  }
}

export function runImportFiles(ctx: Ctx): ImportResult {
  const a = ctx.args;
  const ld = str(a, 'ldirectord');
  const hb = [...list(a, 'haresources'), ...list(a, 'ha-cf')];
  if (ld || hb.length) {
    if (a.positionals.length) throw new UsageError('vigil import: give keepalived.conf files or --ldirectord/--haresources, not both');
    const vrid = int(a, 'vrid', 'vigil import');
    if (vrid !== undefined && vrid > 255) throw new UsageError('vigil import: --vrid is 1..255');
    const iface = str(a, 'interface');
    return importLegacy({ ...(ld && { ldirectord: readInput(ld) }), heartbeat: hb.map(readInput) }, { ...(vrid !== undefined && { vrid }), ...(iface && { interface: iface }) });
  }
  if (!a.positionals.length) throw new UsageError('vigil import: give the keepalived.conf of each director (or --ldirectord FILE)');
  for (const f of a.positionals) readInput(f);
  const names = str(a, 'directors')?.split(',').map((s) => s.trim());
  if (names) {
    if (names.length !== a.positionals.length) throw new UsageError(`vigil import: --directors names ${names.length} director(s) for ${a.positionals.length} file(s)`);
    for (const n of names) if (toResourceName(n) !== n) throw new UsageError(`vigil import: director name "${n}" must be lowercase letters, digits and inner hyphens`);
    if (new Set(names).size !== names.length) throw new UsageError('vigil import: --directors has a name twice');
  }
  return importKeepalived({ files: a.positionals, ...(names && { directors: names }) });
}

export async function runImport(argv: string[], io: Io): Promise<number> {
  return run(io, IMPORT_USAGE, argv, async () => {
    const ctx = makeCtx(argv, {
      ldirectord: { value: true }, haresources: { value: true, repeat: true }, 'ha-cf': { value: true, repeat: true }, vrid: { value: true },
      interface: { value: true }, directors: { value: true }, 'dry-run': {}, site: { value: true }, cluster: { value: true }, message: { value: true }, replace: {},
    }, 'vigil import', io, ['table', 'json', 'yaml']);
    const a = ctx.args;
    const result = runImportFiles(ctx);
    const printOnly = bool(a, 'dry-run') || str(a, 'output') !== undefined;
    const summary = `${countBySeverity(result.findings, 'error')} error(s), ${countBySeverity(result.findings, 'warning')} warning(s)`;
    if (printOnly && ctx.format === 'json') {
      io.out(json({ ok: result.ok, directors: result.directors, findings: result.findings, spec: result.spec }));
      return result.ok ? EXIT.OK : EXIT.INVALID;
    }
    for (const f of result.findings) io.err(`${formatFinding(f)}\n`);
    if (printOnly) {
      io.out(await toYaml(result.spec));
      io.err(`${result.ok ? 'importable' : 'NOT importable'}: ${result.directors.length} director(s) (${result.directors.join(', ')}), ${summary}\n`);
      return result.ok ? EXIT.OK : EXIT.INVALID;
    }
    const site = str(a, 'site');
    const clusterName = str(a, 'cluster');
    if (!site || !clusterName) throw new UsageError('vigil import: give --site and --cluster to store the spec (or --dry-run to print it)');
    for (const [flag, v] of [['--site', site], ['--cluster', clusterName]] as const) if (toResourceName(v) !== v) throw new UsageError(`vigil import: ${flag} "${v}" must be lowercase letters, digits and inner hyphens`);
    if (!result.ok) {
      io.err(`not imported: ${summary}; nothing was created (fix the files, or look at the spec with --dry-run)\n`);
      return EXIT.INVALID;
    }
    const api = ctx.client();
    const created: string[] = [];
    if (!(await api.sites()).some((s) => s.name === site)) {
      await api.createSite(site);
      created.push(`site ${site}`);
    }
    let cluster = (await api.clusters(site)).find((c) => c.name === clusterName);
    if (!cluster) {
      cluster = await api.createCluster(site, clusterName);
      created.push(`cluster ${site}/${clusterName}`);
    }
    if (cluster.currentRevision !== null && !bool(a, 'replace')) {
      throw new CliError(`cluster ${site}/${clusterName} already has a spec (revision ${cluster.currentRevision}); nothing was changed`, EXIT.CONFLICT, { hint: `to change it, "vigil plan -f spec.yaml --cluster ${site}/${clusterName}" then "vigil apply ... --if-revision ${cluster.currentRevision}"; or import again with --replace` });
    }
    const existing = new Set((await api.directors(cluster.id)).map((d) => d.name));
    for (const d of result.directors) {
      if (existing.has(d)) continue;
      await api.createDirector(cluster.id, d);
      created.push(`director ${d}`);
    }
    const message = str(a, 'message') ?? `imported from ${[...a.positionals, ...(str(a, 'ldirectord') ? [str(a, 'ldirectord')!] : []), ...list(a, 'haresources'), ...list(a, 'ha-cf')].join(', ')}`;
    const stored = await api.putSpec(cluster.id, result.spec, message.slice(0, 2000), cluster.currentRevision ?? 0);
    for (const c of created) io.out(`created ${c}\n`);
    io.out(`${stored.unchanged ? 'unchanged' : 'stored'}: cluster ${site}/${clusterName} spec revision ${stored.revision.number} (${result.directors.length} directors: ${result.directors.join(', ')}; ${summary})\n`);
    for (const w of stored.warnings) io.err(`warning: ${w.path.join('.')}: ${w.message} [${w.code}]\n`);
    io.out(`next: vigil enroll-token --site ${site} --cluster ${clusterName} --director ${result.directors[0] ?? 'NAME'}   (one per director; prints the install command)\n`);
    return EXIT.OK;
  });
}
