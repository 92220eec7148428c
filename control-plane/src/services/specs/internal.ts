import { createHash } from 'node:crypto';
import { and, eq, ne } from 'drizzle-orm';
import { validateClusterSpec, type ClusterSpec, type SpecIssue } from '../../../../schema/src/index.ts';
import { clusters, directors, specRevisions } from '../../../../schema/src/tables/index.ts';
import { AppError, notFound } from '../../errors.ts';
import type { ServiceContext } from '../context.ts';
import { canonicalJson } from '../events/canonical.ts';
import type { ClusterRow } from '../internal.ts';

export type RevisionRow = typeof specRevisions.$inferSelect;

export const specHash = (spec: unknown) => createHash('sha256').update(canonicalJson(spec)).digest('hex');

/** The current spec of every other cluster in the site, for the site-wide fleet rules. */
async function siblingSpecs(ctx: ServiceContext, cluster: ClusterRow) {
  const rows = await ctx.db
    .select({ name: clusters.name, segment: clusters.segment, spec: specRevisions.spec })
    .from(clusters)
    .innerJoin(specRevisions, and(eq(specRevisions.clusterId, clusters.id), eq(specRevisions.number, clusters.currentRevision)))
    .where(and(eq(clusters.siteId, cluster.siteId), ne(clusters.id, cluster.id)));
  return rows.map((r) => ({ name: r.name, segment: r.segment ?? r.name, spec: r.spec as ClusterSpec }));
}

/**
 * Both validation layers (shape, then fleet rules against the rest of the site), plus the one
 * rule only the control plane can check: every director the spec names exists in the cluster.
 * Throws VALIDATION with every issue; returns the normalised spec and any warnings.
 */
export async function validateForCluster(ctx: ServiceContext, cluster: ClusterRow, input: unknown): Promise<{ spec: ClusterSpec; warnings: SpecIssue[] }> {
  const siblings = await siblingSpecs(ctx, cluster);
  const result = validateClusterSpec(input, { segment: cluster.segment ?? cluster.name, clusters: siblings });
  const issues = [...result.issues];
  if (result.spec) {
    const known = new Set(
      (await ctx.db.select({ name: directors.name }).from(directors).where(eq(directors.clusterId, cluster.id))).map((d) => d.name),
    );
    for (const name of Object.keys(result.spec.directors ?? {})) {
      if (!known.has(name)) {
        issues.push({
          severity: 'error',
          code: 'SPEC_UNKNOWN_DIRECTOR',
          path: ['directors', name],
          message: `director "${name}" is not registered in cluster "${cluster.name}"`,
          hint: `create it first: POST /v1/clusters/${cluster.id}/directors {"name":"${name}"}`,
        });
      }
    }
  }
  const errors = issues.filter((i) => i.severity === 'error');
  if (errors.length > 0 || !result.spec) {
    throw new AppError('VALIDATION', `cluster spec rejected: ${errors.length} error(s); nothing was changed`, { issues: errors.map(({ severity: _s, ...rest }) => ({ ...rest, path: ['spec', ...rest.path] })) });
  }
  return { spec: result.spec, warnings: issues.filter((i) => i.severity !== 'error') };
}

export async function getRevisionOrThrow(ctx: ServiceContext, clusterId: string, number: number): Promise<RevisionRow> {
  const [row] = await ctx.db
    .select()
    .from(specRevisions)
    .where(and(eq(specRevisions.clusterId, clusterId), eq(specRevisions.number, number)))
    .limit(1);
  if (!row) throw notFound(`revision ${number}`);
  return row;
}

/** Locks the cluster row so concurrent writers number revisions one after the other. */
export async function lockCluster(ctx: ServiceContext, clusterId: string) {
  const [row] = await ctx.db.select().from(clusters).where(eq(clusters.id, clusterId)).for('update');
  return row!;
}
