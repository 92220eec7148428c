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

function agentOf(ctx: ServiceContext) {
  if (ctx.actor.type !== 'agent') throw forbidden('this route is for agents (credential vga_…)');
  return ctx.actor;
}

export async function currentRevision(ctx: ServiceContext): Promise<number | null> {
  const agent = agentOf(ctx);
  const [row] = await ctx.db.select({ rev: clusters.currentRevision }).from(clusters).where(eq(clusters.id, agent.clusterId)).limit(1);
  return row?.rev ?? null;
}

/** Resolves when the cluster's revision differs from `known`, or after `waitMs`. */
export async function waitForChange(ctx: ServiceContext, known: number | null, waitMs: number): Promise<number | null> {
  const agent = agentOf(ctx);
  const deadline = Date.now() + waitMs;
  for (;;) {
    const rev = await currentRevision(ctx);
    const left = deadline - Date.now();
    if (rev !== known || left <= 0) return rev;
    // Woken by a spec write in any replica (LISTEN/NOTIFY or this process), or re-checked
    // after a second at the latest.
    await revisionChanges.wait(agent.clusterId, Math.min(left, 1000));
  }
}

export async function agentConfig(ctx: ServiceContext) {
  const agent = agentOf(ctx);
  const rev = await currentRevision(ctx);
  if (rev === null) throw new AppError('PRECONDITION_FAILED', `cluster has no spec yet: PUT /v1/clusters/${agent.clusterId}/spec first`);
  const revision = await getRevisionOrThrow(ctx, agent.clusterId, rev);
  const spec = ClusterSpec.parse(revision.spec);
  return { revision: rev, director: agent.name, config: resolveDirectorConfig(spec, agent.name) };
}
