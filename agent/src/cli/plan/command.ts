/**
 * `vigil plan -f SPEC --cluster C` and `vigil apply -f SPEC --cluster C [--if-revision N]`.
 *
 * plan: validates the spec as the control plane will (shape and fleet rules; the site-wide rules
 * and the directors' registration are checked by the control plane on apply), diffs it against
 * the current revision, and predicts every election (predict.ts) from the directors' reports.
 * apply: stores it as a new revision; with --if-revision N only if the cluster is still at N
 * (the number plan printed), so a change planned against one revision is never applied on top
 * of another.
 */
import { diffJson, formatSpecPath, parseClusterSpec, validateClusterSpec, type ClusterSpec, type DiffEntry } from '#schema';
import { REPORT_FRESH_MS, ReportedStatus } from '#schema/wire/status.ts';
import { str } from '../fleet/args.ts';
import type { ApiClient, Cluster, Director } from '../fleet/client.ts';
import { makeCtx, run, CONNECTION_HELP, type Ctx, type Io } from '../fleet/context.ts';
import { CliError, EXIT, UsageError } from '../fleet/errors.ts';
import { cell, json } from '../fleet/output.ts';
import { readSpecFile } from '../fleet/spec-file.ts';
import { predict, type DirectorNow, type InstancePrediction } from './predict.ts';

export const PLAN_USAGE = `usage: vigil plan -f SPEC --cluster C [-o table|json]

What applying SPEC (JSON or YAML) to cluster C would do: the validation, the diff against the
current revision, and for every VRRP instance who is master now and who will be after the change
(the agent's own VRRP state machine run from the directors' reports: priority and weight changes,
preempt/nopreempt, maintenance), which directors restart an instance, and whether the change needs
the coordinated instant (every director at once). Ends with the apply command for this revision.

exit codes: 0 planned, 1 the spec is invalid, others as below.
${CONNECTION_HELP}`;

export const APPLY_USAGE = `usage: vigil apply -f SPEC --cluster C [--if-revision N] [--message M]

Stores SPEC as the cluster's next revision; the agents apply it (changes peers must agree on at one
coordinated instant, others backups first and master last). --if-revision N: only if the cluster is
still at revision N (the one "vigil plan" printed): exit 5 and nothing changed if it moved.
${CONNECTION_HELP}`;

export interface PlanResult {
  cluster: string;
  currentRevision: number;
  valid: boolean;
  issues: { severity: string; code: string; path: string; message: string; hint?: string | undefined }[];
  unregisteredDirectors: string[];
  changes: DiffEntry[];
  elections: InstancePrediction[];
}

function directorNow(d: Director, now: number): DirectorNow {
  const parsed = ReportedStatus.safeParse(d.reportedState ?? {});
  const seen = d.lastSeenAt ? Date.parse(d.lastSeenAt) : NaN;
  const instances: DirectorNow['instances'] = {};
  if (parsed.success) for (const i of parsed.data.instances) instances[i.name] = { state: i.state, priority: i.priority, basePriority: i.basePriority };
  return { name: d.name, maintenance: d.maintenance, fresh: Number.isFinite(seen) && now - seen < REPORT_FRESH_MS, instances };
}

async function loadTarget(ctx: Ctx): Promise<{ raw: unknown; cluster: Cluster; api: ApiClient; label: string }> {
  const file = str(ctx.args, 'file');
  const ref = str(ctx.args, 'cluster');
  if (!file) throw new UsageError('give the spec with -f FILE (JSON or YAML; - reads stdin)');
  if (!ref) throw new UsageError('give --cluster SITE/CLUSTER');
  if (ctx.args.positionals.length) throw new UsageError(`unexpected argument "${ctx.args.positionals[0]}"`);
  const raw = await readSpecFile(file, ctx.io);
  const api = ctx.client();
  const cluster = await api.cluster(ref, str(ctx.args, 'site'));
  return { raw, cluster, api, label: `${cluster.siteName ? `${cluster.siteName}/` : ''}${cluster.name}` };
}

export async function plan(ctx: Ctx): Promise<PlanResult> {
  const { raw, cluster, api, label } = await loadTarget(ctx);
  const v = validateClusterSpec(raw);
  const issues = v.issues.map((i) => ({ severity: i.severity, code: i.code, path: formatSpecPath(i.path), message: i.message, hint: i.hint }));
  const [current, directors] = await Promise.all([api.spec(cluster.id), api.directors(cluster.id)]);
  const currentRevision = current?.number ?? 0;
  const before = current ? parseClusterSpec(current.spec) : undefined;
  const beforeSpec: ClusterSpec | undefined = before?.ok ? before.spec : undefined;
  const registered = new Set(directors.map((d) => d.name));
  const unregisteredDirectors = v.spec ? Object.keys(v.spec.directors).filter((d) => !registered.has(d)) : [];
  const result: PlanResult = { cluster: label, currentRevision, valid: v.ok && unregisteredDirectors.length === 0, issues, unregisteredDirectors, changes: [], elections: [] };
  if (!v.spec) return result;
  result.changes = diffJson(beforeSpec ?? {}, v.spec);
  const now = Date.now();
  result.elections = predict(beforeSpec, v.spec, directors.map((d) => directorNow(d, now)));
  return result;
}

const shortValue = (v: unknown) => {
  const s = JSON.stringify(v) ?? 'undefined';
  return cell(s.length > 70 ? `${s.slice(0, 67)}...` : s);
};

const STATE: Record<string, string> = { initialize: 'INIT', backup: 'BACKUP', master: 'MASTER', fault: 'FAULT', stopped: 'STOPPED' };

export function renderPlan(p: PlanResult, file: string): string {
  const out: string[] = [];
  out.push(`cluster ${p.cluster}: revision ${p.currentRevision || '(none)'} -> ${file}`);
  for (const i of p.issues) out.push(`  ${i.severity}: ${i.path ? `${i.path}: ` : ''}${i.message} [${i.code}]${i.hint ? `\n      hint: ${i.hint}` : ''}`);
  for (const d of p.unregisteredDirectors) out.push(`  error: director ${d} is not registered in the cluster [SPEC_UNKNOWN_DIRECTOR]\n      hint: vigil directors create ${d} --cluster ${p.cluster}`);
  out.push('');
  out.push(p.changes.length ? `spec changes (${p.changes.length}):` : 'spec changes: none');
  for (const c of p.changes.slice(0, 200)) {
    const path = formatSpecPath(c.path);
    out.push(c.op === 'add' ? `  + ${path} = ${shortValue(c.to)}` : c.op === 'remove' ? `  - ${path} (was ${shortValue(c.from)})` : `  ~ ${path}: ${shortValue(c.from)} -> ${shortValue(c.to)}`);
  }
  if (p.changes.length > 200) out.push(`  ... ${p.changes.length - 200} more (-o json lists them all)`);
  out.push('');
  out.push('elections:');
  for (const e of p.elections) {
    const now = e.mastersNow.join('+') || 'none';
    const after = e.mastersAfter.join('+') || 'none';
    const restarts = e.directors.filter((d) => d.action === 'restarted').map((d) => d.director);
    const inPlace = e.directors.filter((d) => d.action === 'changed').map((d) => d.director);
    out.push(`  ${e.instance}: master ${now} -> ${after}${now === after ? ' (no change of master)' : ''}; ${e.coordinated ? 'coordinated instant (every director at once: the change is carried in adverts)' : 'rolling (backups first, master last)'}${inPlace.length ? `; changed in place on ${inPlace.join(', ')} (state and timers kept)` : ''}${restarts.length ? `; restarts on ${restarts.join(', ')}` : ''}`);
    for (const d of e.directors) {
      const prio = d.priorityBefore !== undefined || d.priorityAfter !== undefined ? `priority ${d.priorityBefore ?? '-'} -> ${d.priorityAfter ?? '-'}` : '';
      out.push(`    ${d.director.padEnd(16)} ${d.action.padEnd(11)} ${prio}${d.detail.length ? `  (${d.detail.join(', ')})` : ''}`);
    }
    for (const t of e.timeline.filter((x) => x.from !== 'initialize' || x.to !== 'backup').slice(0, 20)) {
      out.push(`    +${(t.at / 1000).toFixed(1)} s  ${t.director} ${STATE[t.from] ?? t.from} -> ${STATE[t.to] ?? t.to} (${t.reason})`);
    }
    for (const n of e.notes) out.push(`    note: ${n}`);
  }
  if (!p.elections.length) out.push('  (no VRRP instance)');
  out.push('');
  out.push(p.valid ? `apply with: vigil apply -f ${file} --cluster ${p.cluster} --if-revision ${p.currentRevision}` : 'not applicable: fix the errors above');
  return `${out.join('\n')}\n`;
}

export async function runPlan(argv: string[], io: Io): Promise<number> {
  return run(io, PLAN_USAGE, argv, async () => {
    const ctx = makeCtx(argv, { file: { value: true, short: 'f' }, cluster: { value: true }, site: { value: true } }, 'vigil plan', io);
    const p = await plan(ctx);
    io.out(ctx.format === 'json' ? json(p) : renderPlan(p, str(ctx.args, 'file')!));
    return p.valid ? EXIT.OK : EXIT.INVALID;
  });
}

export async function runApply(argv: string[], io: Io): Promise<number> {
  return run(io, APPLY_USAGE, argv, async () => {
    const ctx = makeCtx(argv, { file: { value: true, short: 'f' }, cluster: { value: true }, site: { value: true }, 'if-revision': { value: true }, message: { value: true } }, 'vigil apply', io);
    const { raw, cluster, api, label } = await loadTarget(ctx);
    const ifRevisionText = str(ctx.args, 'if-revision');
    if (ifRevisionText !== undefined && !/^\d{1,9}$/.test(ifRevisionText)) throw new UsageError(`--if-revision must be a revision number (0: no spec yet), not "${ifRevisionText}"`);
    const ifRevision = ifRevisionText === undefined ? undefined : Number(ifRevisionText);
    const v = validateClusterSpec(raw);
    if (!v.ok) {
      for (const i of v.issues.filter((x) => x.severity === 'error')) io.err(`error: ${formatSpecPath(i.path)}: ${i.message} [${i.code}]${i.hint ? ` hint: ${i.hint}` : ''}\n`);
      throw new CliError(`the spec has errors; nothing was changed`, EXIT.INVALID);
    }
    const r = await api.putSpec(cluster.id, raw, str(ctx.args, 'message'), ifRevision);
    if (ctx.format === 'json') io.out(json({ cluster: label, revision: r.revision.number, unchanged: r.unchanged, warnings: r.warnings }));
    else {
      io.out(r.unchanged ? `unchanged: cluster ${label} is already at this spec (revision ${r.revision.number})\n` : `applied: cluster ${label} revision ${r.revision.number}\n`);
      for (const w of r.warnings) io.err(`warning: ${w.path.join('.')}: ${w.message} [${w.code}]\n`);
    }
    return EXIT.OK;
  });
}
