import { desc, eq } from 'drizzle-orm';
import { specRevisions } from '../../../../schema/src/tables/index.ts';
import { notFound, validation } from '../../errors.ts';
import { requireRole, type ServiceContext } from '../context.ts';
import { getClusterOrThrow } from '../internal.ts';
import { diffJson } from '../../../../schema/src/spec/diff.ts';
import { getRevisionOrThrow } from './internal.ts';

/** The cluster's current spec and its revision number. */
export async function getSpec(ctx: ServiceContext, clusterId: string) {
  requireRole(ctx, 'viewer');
  const cluster = await getClusterOrThrow(ctx, clusterId);
  if (cluster.currentRevision === null) throw notFound(`spec of cluster "${cluster.name}" (no revision yet; PUT one)`);
  return getRevisionOrThrow(ctx, cluster.id, cluster.currentRevision);
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
