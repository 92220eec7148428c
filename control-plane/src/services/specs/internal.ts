import { createHash } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { checkFleetRules, fleetIssue, parseClusterSpec, type ClusterSpec, type SpecIssue } from '../../../../schema/src/index.ts';
import { clusters, directors, specRevisions } from '../../../../schema/src/tables/index.ts';
import { fleetSiteFor, loadSite, type SiteCluster } from './site.ts';
import { AppError, notFound } from '../../errors.ts';
import type { ServiceContext } from '../context.ts';
import { canonicalJson } from '../events/canonical.ts';
import type { ClusterRow } from '../internal.ts';

export type RevisionRow = typeof specRevisions.$inferSelect;

export const specHash = (spec: unknown) => createHash('sha256').update(canonicalJson(spec)).digest('hex');

/**
 * Both validation layers (shape, then fleet rules against the rest of the site), plus the one
 * rule only the control plane can check: every director the spec names exists in the cluster.
 * Throws VALIDATION with every issue; returns the normalised spec and any warnings.
 */
export async function validateForCluster(ctx: ServiceContext, cluster: ClusterRow, input: unknown): Promise<{ spec: ClusterSpec; warnings: SpecIssue[] }> {
  const site = await loadSite(ctx, cluster.siteId);
  const parsed = parseClusterSpec(input);
  const issues: SpecIssue[] = parsed.ok ? [] : [...parsed.issues];
  if (parsed.ok) {
    issues.push(...unreadableSiblings(site, cluster.name));
    issues.push(...checkFleetRules(parsed.spec, fleetSiteFor(site, cluster.name, new Map())));
    const known = new Set((await ctx.db.select({ name: directors.name }).from(directors).where(eq(directors.clusterId, cluster.id))).map((d) => d.name));
    issues.push(...unknownDirectors(parsed.spec, known, cluster));
  }
  const errors = issues.filter((i) => i.severity === 'error');
  if (errors.length > 0 || !parsed.ok) {
    throw new AppError('VALIDATION', `cluster spec rejected: ${errors.length} error(s); nothing was changed`, { issues: errors.map(({ severity: _s, ...rest }) => ({ ...rest, path: ['spec', ...rest.path] })) });
  }
  return { spec: parsed.spec, warnings: issues.filter((i) => i.severity !== 'error') };
}

/** A sibling whose stored spec no longer parses is left out of the site rules, with a warning. */
export function unreadableSiblings(site: SiteCluster[], self: string): SpecIssue[] {
  return site
    .filter((c) => c.name !== self && c.currentRevision !== null && c.spec === null)
    .map((c) => fleetIssue('FLEET_SITE_SPEC_UNREADABLE', [], `the spec of cluster ${c.name} does not parse with this version; site-wide rules skipped it`));
}

export function unknownDirectors(spec: ClusterSpec, known: Set<string>, cluster: { id: string; name: string }): SpecIssue[] {
  return Object.keys(spec.directors ?? {}).filter((name) => !known.has(name)).map((name) => ({
    severity: 'error' as const,
    code: 'SPEC_UNKNOWN_DIRECTOR',
    path: ['directors', name],
    message: `director "${name}" is not registered in cluster "${cluster.name}"`,
    hint: `create it first: POST /v1/clusters/${cluster.id}/directors {"name":"${name}"}`,
  }));
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
