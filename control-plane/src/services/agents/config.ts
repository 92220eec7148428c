/**
 * What an agent runs: its cluster's current spec resolved for it (resolveDirectorConfig), with
 * the revision as the ETag. `waitForChange` is the long-poll: it returns as soon as the cluster's
 * revision differs from the one the agent has, or after `waitMs`.
 */
import { eq } from 'drizzle-orm';
import { clusters } from '../../../../schema/src/tables/index.ts';
import { ClusterSpec } from '../../../../schema/src/spec/cluster.ts';
import { resolveDirectorConfig } from '../../../../schema/src/spec/resolve.ts';
import { AppError, forbidden } from '../../errors.ts';
import type { ServiceContext } from '../context.ts';
import { getRevisionOrThrow } from '../specs/internal.ts';
import { revisionChanges } from './notify.ts';
import { applyOverlay, overlayFor } from './admin.ts';

function agentOf(ctx: ServiceContext) {
  if (ctx.actor.type !== 'agent') throw forbidden('this route is for agents (credential vga_…)');
  return ctx.actor;
}

/** The agent's config version: the cluster revision plus the admin overlay ("rev-3" / "rev-3.a-17"). */
export async function currentVersion(ctx: ServiceContext): Promise<string | null> {
  const agent = agentOf(ctx);
  const [row] = await ctx.db.select({ rev: clusters.currentRevision }).from(clusters).where(eq(clusters.id, agent.clusterId)).limit(1);
  if (!row || row.rev === null) return null;
  const o = await overlayFor(ctx, agent.clusterId, agent.directorId, agent.name);
  return o.version ? `rev-${row.rev}.a-${o.version}` : `rev-${row.rev}`;
}

/** Resolves when the config version differs from `known`, or after `waitMs`. */
export async function waitForChange(ctx: ServiceContext, known: string | null, waitMs: number): Promise<string | null> {
  const agent = agentOf(ctx);
  const deadline = Date.now() + waitMs;
  for (;;) {
    const rev = await currentVersion(ctx);
    const left = deadline - Date.now();
    if (rev !== known || left <= 0) return rev;
    // Woken by a spec write in any replica (LISTEN/NOTIFY or this process), or re-checked
    // after a second at the latest.
    await revisionChanges.wait(agent.clusterId, Math.min(left, 1000));
  }
}

export async function agentConfig(ctx: ServiceContext) {
  const agent = agentOf(ctx);
  const [row] = await ctx.db.select({ rev: clusters.currentRevision }).from(clusters).where(eq(clusters.id, agent.clusterId)).limit(1);
  const rev = row?.rev ?? null;
  if (rev === null) throw new AppError('PRECONDITION_FAILED', `cluster has no spec yet: PUT /v1/clusters/${agent.clusterId}/spec first`);
  const revision = await getRevisionOrThrow(ctx, agent.clusterId, rev);
  const spec = ClusterSpec.parse(revision.spec);
  const overlay = await overlayFor(ctx, agent.clusterId, agent.directorId, agent.name);
  const version = overlay.version ? `rev-${rev}.a-${overlay.version}` : `rev-${rev}`;
  return { revision: rev, version, director: agent.name, maintenance: overlay.maintenance, preferred: overlay.preferred, config: applyOverlay(resolveDirectorConfig(spec, agent.name), overlay) };
}
