/**
 * A site document: many clusters' specs applied as ONE validated change (GitOps style: the
 * whole desired state of a site in one request). Every spec is checked against the site as it
 * will be after the change, with one index built once (not the whole site re-scanned per
 * cluster); either every changed cluster gets its new revision, in one transaction, or nothing
 * changes and every issue of every cluster is reported with its path. Optimistic concurrency
 * per cluster: `ifRevision` must still be the cluster's current revision.
 */
import { inArray, sql } from 'drizzle-orm';
import { checkFleetRules, parseClusterSpec, type ClusterSpec, type SpecIssue } from '../../../../schema/src/index.ts';
import { directors, specRevisions } from '../../../../schema/src/tables/index.ts';
import { AppError } from '../../errors.ts';
import { actorLabel, requireRole, withTransaction, type ServiceContext } from '../context.ts';
import { appendEvents } from '../events/append.ts';
import { getSiteOrThrow } from '../internal.ts';
import { sliceBudget } from '../cpu-slices.ts';
import { notifyReplicasMany, revisionChanges } from '../agents/notify.ts';
import { specHash, unknownDirectors, unreadableSiblings } from './internal.ts';
import { PutSiteSpecsInput } from './schemas.ts';
import { loadSite, siteIndexFor } from './site.ts';
import { rememberParsed } from './parsed.ts';

export interface SiteApplyResult {
  site: string;
  clusters: Record<string, { revision: number; unchanged: boolean; warnings: number }>;
}

export async function putSiteSpecs(ctx: ServiceContext, siteRef: string, raw: unknown): Promise<SiteApplyResult> {
  requireRole(ctx, 'operator');
  const input = PutSiteSpecsInput.parse(raw);
  let written: { clusterId: string; number: number; spec: ClusterSpec }[] = [];
  const result = await withTransaction(ctx, async (tx) => {
    written = [];
    const site = await getSiteOrThrow(tx, siteRef);
    const clusterList = await loadSite(tx, site.id, true);
    const byName = new Map(clusterList.map((c) => [c.name, c]));
    const issues: (SpecIssue & { path: (string | number)[] })[] = [];
    const conflicts: string[] = [];
    const parsed = new Map<string, ClusterSpec>();
    // Parsing and checking hundreds of specs is milliseconds each way: other requests (and the
    // acknowledgements of the agents already served) get their turns in between.
    const pause = sliceBudget();
    for (const [name, entry] of Object.entries(input.clusters)) {
      await pause();
      const c = byName.get(name);
      if (!c) {
        issues.push({ severity: 'error', code: 'SPEC_UNKNOWN_CLUSTER', path: [name], message: `site "${site.name}" has no cluster "${name}"`, hint: `create it first: POST /v1/sites/${site.name}/clusters {"name":"${name}"}` });
        continue;
      }
      if (entry.ifRevision !== undefined && entry.ifRevision !== c.currentRevision) conflicts.push(`${name}: revision is ${c.currentRevision ?? 'none'}, not ${entry.ifRevision ?? 'none'}`);
      const p = parseClusterSpec(entry.spec);
      if (p.ok) parsed.set(name, p.spec);
      else issues.push(...p.issues.map((i) => ({ ...i, path: [name, 'spec', ...i.path] })));
    }
    if (conflicts.length) throw new AppError('CONFLICT', `the site changed since you read it: ${conflicts.join('; ')}; nothing was changed`, { conflicts });
    const index = siteIndexFor(clusterList, parsed);
    const ids = [...parsed.keys()].map((n) => byName.get(n)!.id);
    const registered = ids.length ? await tx.db.select({ clusterId: directors.clusterId, name: directors.name }).from(directors).where(inArray(directors.clusterId, ids)) : [];
    const warnings = new Map<string, number>();
    for (const [name, spec] of parsed) {
      await pause();
      const c = byName.get(name)!;
      const found = [
        ...unreadableSiblings(clusterList.filter((x) => !parsed.has(x.name)), name),
        ...checkFleetRules(spec, { cluster: name, segment: c.segment, clusters: [], index }),
        ...unknownDirectors(spec, new Set(registered.filter((d) => d.clusterId === c.id).map((d) => d.name)), c),
      ];
      warnings.set(name, found.filter((i) => i.severity !== 'error').length);
      issues.push(...found.filter((i) => i.severity === 'error').map((i) => ({ ...i, path: [name, 'spec', ...i.path] })));
    }
    const errors = issues.filter((i) => i.severity === 'error');
    if (errors.length) {
      throw new AppError('VALIDATION', `site document rejected: ${errors.length} error(s) in ${new Set(errors.map((e) => e.path[0])).size} cluster(s); nothing was changed`, {
        issues: errors.map(({ severity: _s, ...rest }) => ({ ...rest, path: ['body', 'clusters', ...rest.path] })),
      });
    }
    const out: SiteApplyResult['clusters'] = {};
    const rows: (typeof specRevisions.$inferInsert)[] = [];
    const maxima = await lastNumbers(tx, ids);
    for (const [name, spec] of parsed) {
      const c = byName.get(name)!;
      const hash = specHash(spec);
      if (c.specHash === hash) {
        out[name] = { revision: c.currentRevision!, unchanged: true, warnings: warnings.get(name) ?? 0 };
        continue;
      }
      const number = Math.max(maxima.get(c.id) ?? 0, c.currentRevision ?? 0) + 1;
      rows.push({ clusterId: c.id, number, spec, specHash: hash, message: input.clusters[name]!.message ?? input.message ?? '', rollbackOf: null, createdBy: actorLabel(tx.actor) });
      out[name] = { revision: number, unchanged: false, warnings: warnings.get(name) ?? 0 };
      written.push({ clusterId: c.id, number, spec });
    }
    if (rows.length) {
      const nameOf = new Map(clusterList.map((c) => [c.id, c.name]));
      await tx.db.insert(specRevisions).values(rows);
      const doc = JSON.stringify(rows.map((r) => ({ id: r.clusterId, n: r.number })));
      await tx.db.execute(sql`update clusters c set current_revision = v.n from jsonb_to_recordset(${doc}::jsonb) as v(id uuid, n integer) where c.id = v.id`);
      await notifyReplicasMany(tx.db, rows.map((r) => r.clusterId));
      await appendEvents(tx, rows.map((r) => ({
        kind: 'spec.revision_created', siteId: site.id, clusterId: r.clusterId,
        details: { revision: r.number, specHash: r.specHash, message: r.message, siteDocument: true, warnings: warnings.get(nameOf.get(r.clusterId)!) ?? 0 },
      })));
    }
    return { site: site.name, clusters: out };
  });
  for (const w of written) {
    rememberParsed(w.clusterId, w.number, w.spec);
    revisionChanges.notify(w.clusterId);
  }
  return result;
}

/** The highest revision number of each cluster (revision numbers only grow, rollbacks too). */
async function lastNumbers(ctx: ServiceContext, clusterIds: string[]): Promise<Map<string, number>> {
  if (clusterIds.length === 0) return new Map();
  const rows = await ctx.db
    .select({ clusterId: specRevisions.clusterId, n: sql<number>`max(${specRevisions.number})::int` })
    .from(specRevisions)
    .where(inArray(specRevisions.clusterId, clusterIds))
    .groupBy(specRevisions.clusterId);
  return new Map(rows.map((r) => [r.clusterId, Number(r.n)]));
}
