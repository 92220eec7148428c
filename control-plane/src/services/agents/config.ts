/**
 * What an agent runs: its cluster's current spec resolved for it (resolveDirectorConfig), with
 * the admin overlay (admin.ts), versioned for the ETag. `waitForChange` is the long-poll.
 *
 * Rollout across a cluster's directors is coordinated here (rollout.ts decides, pure):
 * - a change peers must agree on (VRID, version, advert_int, authentication, the advertised
 *   addresses, unicast peers) carries `applyAt`, one instant shared by every director of the
 *   cluster, so they switch together instead of disagreeing for a poll interval;
 * - any other change reaches the backups first: the director that reports MASTER of a changed
 *   instance keeps getting its current revision until the other members have applied the new
 *   one (or a minute has passed), so a bad change shows on a backup before it touches traffic.
 */
import { eq } from 'drizzle-orm';
import { clusters, directors } from '../../../../schema/src/tables/index.ts';
import { ClusterSpec } from '../../../../schema/src/spec/cluster.ts';
import { resolveDirectorConfig, type ResolvedDirectorConfig } from '../../../../schema/src/spec/resolve.ts';
import { AppError, forbidden } from '../../errors.ts';
import type { ServiceContext } from '../context.ts';
import { getRevisionOrThrow } from '../specs/internal.ts';
import { revisionChanges } from './notify.ts';
import { applyOverlay, overlayFor, type Overlay } from './admin.ts';
import { planRollout, HOLD_MAX_MS } from './rollout.ts';

function agentOf(ctx: ServiceContext) {
  if (ctx.actor.type !== 'agent') throw forbidden('this route is for agents (credential vga_…)');
  return ctx.actor;
}

export interface AgentConfigView {
  revision: number;
  /** ETag value: "rev-N", with ".a-K" when an admin overlay applies. */
  version: string;
  director: string;
  maintenance: boolean;
  preferred: string[];
  /** Apply at this instant (ISO), together with the cluster's other directors. */
  applyAt?: string;
  /** The newer revision this director is held back from, and whom it waits for. */
  held?: { revision: number; waitingFor: string[] };
  config: ResolvedDirectorConfig;
}

const versionOf = (rev: number, o: Overlay) => (o.version ? `rev-${rev}.a-${o.version}` : `rev-${rev}`);

/**
 * Parsed specs by (cluster, revision): revisions are immutable, and parsing (zod) is most of the
 * cost of serving a config, which 2,000 agents ask for at once after a change.
 */
const parsed = new Map<string, { row: Awaited<ReturnType<typeof getRevisionOrThrow>>; spec: ClusterSpec }>();
const PARSED_MAX = 2000;

/**
 * Rendered configs by (cluster, revision, director, overlay): all four are immutable keys (a
 * revision never changes, an overlay change bumps its version), and after a change every agent
 * of a cluster asks at once.
 */
const rendered = new Map<string, ResolvedDirectorConfig>();
const RENDERED_MAX = 20_000;

async function render(ctx: ServiceContext, clusterId: string, director: string, rev: number, overlay: Overlay) {
  const key = `${clusterId}:${rev}`;
  let hit = parsed.get(key);
  if (!hit) {
    const row = await getRevisionOrThrow(ctx, clusterId, rev);
    hit = { row, spec: ClusterSpec.parse(row.spec) };
    if (parsed.size >= PARSED_MAX) parsed.delete(parsed.keys().next().value!);
    parsed.set(key, hit);
  }
  const rkey = `${key}:${director}:${overlay.version}:${overlay.maintenance ? 1 : 0}:${overlay.preferred.join(',')}`;
  let config = rendered.get(rkey);
  if (!config) {
    config = applyOverlay(resolveDirectorConfig(hit.spec, director), overlay);
    if (rendered.size >= RENDERED_MAX) rendered.delete(rendered.keys().next().value!);
    rendered.set(rkey, config);
  }
  return { row: hit.row, config };
}

/** The config this agent should run now (null: the cluster has no spec yet). */
export async function effectiveConfig(ctx: ServiceContext): Promise<AgentConfigView | null> {
  const agent = agentOf(ctx);
  // One query for what every request needs: the desired revision, the operator overlay's
  // version and this director's own flags. Peers are read only when a rollout decision is due.
  const [me] = await ctx.db
    .select({ rev: clusters.currentRevision, adminVersion: clusters.adminVersion, maintenance: directors.maintenance, appliedRevision: directors.appliedRevision })
    .from(directors)
    .innerJoin(clusters, eq(clusters.id, directors.clusterId))
    .where(eq(directors.id, agent.directorId))
    .limit(1);
  const rev = me?.rev ?? null;
  if (!me || rev === null) return null;
  const overlay: Overlay = me.adminVersion > 0 ? await overlayFor(ctx, agent.clusterId, agent.directorId) : { maintenance: me.maintenance, preferred: [], version: 0 };
  const target = await render(ctx, agent.clusterId, agent.name, rev, overlay);
  const base = { director: agent.name, maintenance: overlay.maintenance, preferred: overlay.preferred };
  const running = me.appliedRevision ?? null;
  if (running === null || running >= rev) return { ...base, revision: rev, version: versionOf(rev, overlay), config: target.config };
  const current = await render(ctx, agent.clusterId, agent.name, running, overlay).catch(() => undefined);
  if (!current) return { ...base, revision: rev, version: versionOf(rev, overlay), config: target.config };
  const peers = await ctx.db
    .select({ id: directors.id, name: directors.name, appliedRevision: directors.appliedRevision, reportedState: directors.reportedState, lastSeenAt: directors.lastSeenAt })
    .from(directors)
    .where(eq(directors.clusterId, agent.clusterId));
  const plan = planRollout({
    director: agent.name,
    current: current.config,
    target: target.config,
    targetRevision: rev,
    revisionCreatedAt: target.row.createdAt.getTime(),
    now: Date.now(),
    peers: peers.map((p) => ({ name: p.name, appliedRevision: p.appliedRevision, state: p.reportedState, lastSeenAt: p.lastSeenAt?.getTime() ?? null })),
  });
  if (plan.kind === 'hold') {
    return { ...base, revision: running, version: versionOf(running, overlay), held: { revision: rev, waitingFor: plan.waitingFor }, config: current.config };
  }
  return { ...base, revision: rev, version: versionOf(rev, overlay), ...(plan.kind === 'at' ? { applyAt: new Date(plan.applyAt).toISOString() } : {}), config: target.config };
}

/** A waiter's own re-check, for a lost notification and a hold that times out. */
const RECHECK_MS = 15_000;

/**
 * Resolves with the config once its version differs from `known`, after `waitMs`, or as soon as
 * `signal` aborts (the client went away: an abandoned long-poll costs nothing from then on).
 */
async function waitForChange(ctx: ServiceContext, known: string | null, waitMs: number, signal?: AbortSignal): Promise<AgentConfigView | null | undefined> {
  const agent = agentOf(ctx);
  const deadline = Date.now() + waitMs;
  for (;;) {
    if (signal?.aborted) return undefined;
    const view = await effectiveConfig(ctx);
    const left = deadline - Date.now();
    if ((view?.version ?? null) !== known || left <= 0) return view;
    // Woken by a spec write or a peer's report in any replica (LISTEN/NOTIFY, or this process
    // directly), or by the client going away.
    await revisionChanges.wait(agent.clusterId, Math.min(left, RECHECK_MS, HOLD_MAX_MS), signal);
  }
}

/**
 * GET /v1/agent/config: the agent's config, or `unchanged` when its version is still `known`
 * (the agent's If-None-Match), after waiting up to `waitMs` for a change (long-poll).
 */
export async function agentConfig(ctx: ServiceContext, known?: string | null, waitMs = 0, signal?: AbortSignal): Promise<{ unchanged: true; version: string | null } | { unchanged: false; view: AgentConfigView }> {
  const agent = agentOf(ctx);
  let view = await effectiveConfig(ctx);
  if (known !== undefined && (view?.version ?? null) === known && waitMs > 0) {
    const changed = await waitForChange(ctx, known, waitMs, signal);
    if (changed === undefined) return { unchanged: true, version: known }; // nobody is listening any more
    view = changed;
  }
  if (known !== undefined && (view?.version ?? null) === known) return { unchanged: true, version: known };
  if (!view) throw new AppError('PRECONDITION_FAILED', `cluster has no spec yet: PUT /v1/clusters/${agent.clusterId}/spec first`);
  return { unchanged: false, view };
}
