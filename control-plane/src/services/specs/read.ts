import { and, desc, eq, sql } from 'drizzle-orm';
import { clusters, specRevisions } from '../../../../schema/src/tables/index.ts';
import type { Db } from '../../db.ts';
import { notFound, validation } from '../../errors.ts';
import { requireRole, scopedSite, type ServiceContext } from '../context.ts';
import { getClusterOrThrow, isUuid } from '../internal.ts';
import { diffJson } from './diff.ts';
import { getRevisionOrThrow, type RevisionRow } from './internal.ts';

/**
 * One query for the most frequent read (every GitOps loop and dashboard polls it): the cluster,
 * its scope and its current revision together, prepared once per database (drizzle's query
 * builder costs more than the query itself at these latencies).
 */
function currentSpecStatement(db: Db) {
  let s = currentSpecStatements.get(db);
  if (!s) {
    s = db
      .select({ name: clusters.name, siteId: clusters.siteId, currentRevision: clusters.currentRevision, revision: specRevisions })
      .from(clusters)
      .leftJoin(specRevisions, and(eq(specRevisions.clusterId, clusters.id), eq(specRevisions.number, clusters.currentRevision)))
      .where(eq(clusters.id, sql.placeholder('id')))
      .limit(1)
      .prepare('vigil_current_spec');
    currentSpecStatements.set(db, s);
  }
  return s;
}
const currentSpecStatements = new WeakMap<Db, { execute(v: { id: string }): Promise<{ name: string; siteId: string; currentRevision: number | null; revision: RevisionRow | null }[]> }>();

/** The cluster's current spec and its revision number. */
export async function getSpec(ctx: ServiceContext, clusterId: string): Promise<RevisionRow> {
  requireRole(ctx, 'viewer');
  if (!isUuid(clusterId)) throw notFound(`cluster "${clusterId}"`);
  const [row] = await currentSpecStatement(ctx.db).execute({ id: clusterId });
  const scope = scopedSite(ctx);
  if (!row || (scope !== null && scope !== row.siteId)) throw notFound(`cluster "${clusterId}"`);
  if (row.currentRevision === null || !row.revision) throw notFound(`spec of cluster "${row.name}" (no revision yet; PUT one)`);
  return row.revision;
}

/** Revision metadata, newest first (without the spec bodies). */
export async function listRevisions(ctx: ServiceContext, clusterId: string) {
  requireRole(ctx, 'viewer');
  const cluster = await getClusterOrThrow(ctx, clusterId);
  return ctx.db
    .select({
      number: specRevisions.number,
      specHash: specRevisions.specHash,
      message: specRevisions.message,
      rollbackOf: specRevisions.rollbackOf,
      createdBy: specRevisions.createdBy,
      createdAt: specRevisions.createdAt,
    })
    .from(specRevisions)
    .where(eq(specRevisions.clusterId, cluster.id))
    .orderBy(desc(specRevisions.number));
}

export async function getRevision(ctx: ServiceContext, clusterId: string, number: number) {
  requireRole(ctx, 'viewer');
  const cluster = await getClusterOrThrow(ctx, clusterId);
  return getRevisionOrThrow(ctx, cluster.id, number);
}

/** What changed from revision `from` to revision `to`. */
export async function diffRevisions(ctx: ServiceContext, clusterId: string, from: number, to: number) {
  requireRole(ctx, 'viewer');
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 1 || to < 1) {
    throw validation('revision numbers must be positive integers', [{ path: ['from'] }, { path: ['to'] }]);
  }
  const cluster = await getClusterOrThrow(ctx, clusterId);
  const [a, b] = await Promise.all([getRevisionOrThrow(ctx, cluster.id, from), getRevisionOrThrow(ctx, cluster.id, to)]);
  return { from, to, changes: diffJson(a.spec, b.spec) };
}
