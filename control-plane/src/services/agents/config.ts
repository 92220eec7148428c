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
import { eq, inArray, sql } from 'drizzle-orm';
import { clusters, directors, specRevisions } from '../../../../schema/src/tables/index.ts';
import { ClusterSpec } from '../../../../schema/src/spec/cluster.ts';
import { resolveDirectorConfig, type ResolvedDirectorConfig } from '../../../../schema/src/spec/resolve.ts';
import { AppError, forbidden } from '../../errors.ts';
import type { ServiceContext } from '../context.ts';
import { getRevisionOrThrow } from '../specs/internal.ts';
import { parsedSpec } from '../specs/parsed.ts';
import { RevisionCache } from '../specs/revision-cache.ts';
import { revisionChanges } from './notify.ts';
import { applyOverlay, overlayFor, preferredByDirector, type Overlay } from './admin.ts';
import { planRollout, HOLD_MAX_MS, type RolloutPeer } from './rollout.ts';
import { sliceBudget } from '../cpu-slices.ts';

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
 * Parsed specs by (cluster, revision), with the revision's creation time (the rollout's clock):
 * revisions are immutable, and parsing (zod) is most of the cost of serving a config, which
 * 2,000 agents ask for at once after a change. The newest three revisions of each cluster
 * (revision-cache.ts): the rollout renders two.
 */
type ParsedRevision = { createdAt: number; spec: ClusterSpec };
const parsed = new RevisionCache<Promise<ParsedRevision>>(3, 2000);

/**
 * Rendered configs by (cluster, revision), then by (director, overlay): all are immutable keys
 * (a revision never changes, an overlay change bumps its version), and after a change every
 * agent of a cluster asks at once. A revision's configs leave with it.
 */
const rendered = new RevisionCache<Map<string, ResolvedDirectorConfig>>(3, 2000);
/** Configs of one revision: its directors, times the overlays they had meanwhile. */
const RENDERED_PER_REVISION_MAX = 4096;

async function render(ctx: ServiceContext, clusterId: string, director: string, rev: number, overlay: Overlay) {
  // The promise is cached, not its value: the agents of a cluster all ask within the same
  // milliseconds after a change, and must share one read and one parse.
  let hit = parsed.get(clusterId, rev);
  if (!hit) {
    // A spec that no longer parses fails here with zod's error, for this cluster alone.
    hit = getRevisionOrThrow(ctx, clusterId, rev).then((row) => ({ createdAt: row.createdAt.getTime(), spec: parsedSpec(row.clusterId, row.number, row.spec) ?? ClusterSpec.parse(row.spec) }));
    const mine = hit;
    hit.catch(() => {
      if (parsed.get(clusterId, rev) === mine) parsed.delete(clusterId, rev);
    });
    parsed.set(clusterId, rev, hit);
  }
  const { createdAt, spec } = await hit;
  const rkey = `${director}:${overlay.version}:${overlay.maintenance ? 1 : 0}:${overlay.preferred.join(',')}`;
  let configs = rendered.get(clusterId, rev);
  if (!configs) {
    configs = new Map();
    rendered.set(clusterId, rev, configs);
  }
  let config = configs.get(rkey);
  if (!config) {
    config = applyOverlay(resolveDirectorConfig(spec, director), overlay);
    if (configs.size >= RENDERED_PER_REVISION_MAX) configs.clear();
    configs.set(rkey, config);
  }
  return { createdAt, config };
}

/** The config this agent should run now (null: the cluster has no spec yet). */
export async function effectiveConfig(ctx: ServiceContext, fresh = false): Promise<AgentConfigView | null> {
  const agent = agentOf(ctx);
  // What every request needs (the desired revision, the operator overlay's version, this
  // director's own flags): from authentication when it is this request's, else one query.
  // Peers are read only when a rollout decision is due.
  const snap = !fresh && agent.snapshot ? agent.snapshot : undefined;
  const [me] = snap
    ? [{ rev: snap.currentRevision, adminVersion: snap.adminVersion, maintenance: snap.maintenance, appliedRevision: snap.appliedRevision }]
    : await ctx.db
      .select({ rev: clusters.currentRevision, adminVersion: clusters.adminVersion, maintenance: directors.maintenance, appliedRevision: directors.appliedRevision })
      .from(directors)
      .innerJoin(clusters, eq(clusters.id, directors.clusterId))
      .where(eq(directors.id, agent.directorId))
      .limit(1);
  if (!me || me.rev === null) return null;
  const overlay: Overlay = me.adminVersion > 0 ? await overlayFor(ctx, agent.clusterId, agent.directorId) : { maintenance: me.maintenance, preferred: [], version: 0 };
  return viewFor(ctx, { clusterId: agent.clusterId, name: agent.name }, { rev: me.rev, appliedRevision: me.appliedRevision }, overlay, async () => (await peersOf(ctx, agent.clusterId)).map(rolloutPeer));
}

/**
 * One director's view from what is known of it: the desired revision, the revision it runs,
 * its overlay, and (only when a rollout decision is due) its cluster's directors.
 */
async function viewFor(ctx: ServiceContext, who: { clusterId: string; name: string }, me: { rev: number; appliedRevision: number | null }, overlay: Overlay, peers: () => Promise<RolloutPeer[]>): Promise<AgentConfigView> {
  const rev = me.rev;
  const target = await render(ctx, who.clusterId, who.name, rev, overlay);
  const base = { director: who.name, maintenance: overlay.maintenance, preferred: overlay.preferred };
  const running = me.appliedRevision ?? null;
  const current = running === null || running >= rev ? undefined : await render(ctx, who.clusterId, who.name, running, overlay).catch(() => undefined);
  if (!current) {
    revisionChanges.setHeld(who.clusterId, who.name, false);
    return { ...base, revision: rev, version: versionOf(rev, overlay), config: target.config };
  }
  const plan = planRollout({
    director: who.name,
    current: current.config,
    target: target.config,
    targetRevision: rev,
    revisionCreatedAt: target.createdAt,
    now: Date.now(),
    peers: await peers(),
  });
  revisionChanges.setHeld(who.clusterId, who.name, plan.kind === 'hold');
  if (plan.kind === 'hold') {
    return { ...base, revision: running!, version: versionOf(running!, overlay), held: { revision: rev, waitingFor: plan.waitingFor }, config: current.config };
  }
  return { ...base, revision: rev, version: versionOf(rev, overlay), ...(plan.kind === 'at' ? { applyAt: new Date(plan.applyAt).toISOString() } : {}), config: target.config };
}

/**
 * The views of many directors of many clusters from ONE read: the clusters' directors with
 * their desired revision and overlay version (one query), the revisions not yet parsed (one
 * query), the operator overlay only for a cluster that has one. What the WebSocket pushes to
 * every connected agent after a change (fanout.ts), instead of each of them asking;
 * `onCluster` gets each cluster's views as soon as they are rendered.
 */
export async function clustersViews(ctx: ServiceContext, wanted: Map<string, string[]>, onCluster?: (clusterId: string, views: Map<string, AgentConfigView | null>) => void): Promise<Map<string, Map<string, AgentConfigView | null>>> {
  const ids = [...wanted.keys()];
  const out = new Map<string, Map<string, AgentConfigView | null>>();
  if (ids.length === 0) return out;
  const rows = await ctx.db
    .select({
      id: directors.id, clusterId: directors.clusterId, name: directors.name, appliedRevision: directors.appliedRevision, reportedState: directors.reportedState, lastSeenAt: directors.lastSeenAt,
      maintenance: directors.maintenance, rev: clusters.currentRevision, adminVersion: clusters.adminVersion,
    })
    .from(directors)
    .innerJoin(clusters, eq(clusters.id, directors.clusterId))
    .where(inArray(directors.clusterId, ids));
  const byCluster = new Map<string, typeof rows>();
  for (const r of rows) {
    const list = byCluster.get(r.clusterId);
    if (list) list.push(r);
    else byCluster.set(r.clusterId, [r]);
  }
  // Every revision a view will render (the desired one, and the one a director still runs when
  // it is behind) that is not parsed yet, in one query.
  const need = new Map<string, { clusterId: string; number: number }>();
  for (const r of rows) {
    if (r.rev === null) continue;
    for (const n of [r.rev, r.appliedRevision]) {
      if (n === null || n > r.rev || parsed.has(r.clusterId, n)) continue;
      need.set(`${r.clusterId}:${n}`, { clusterId: r.clusterId, number: n });
    }
  }
  if (need.size) await prefetchRevisions(ctx, [...need.values()]);
  const pause = sliceBudget();
  for (const [clusterId, names] of wanted) {
    // Rendering is CPU: let the event loop breathe between slices of a site-wide change.
    await pause();
    const list = byCluster.get(clusterId) ?? [];
    const masters = list.some((r) => r.adminVersion > 0) ? await preferredByDirector(ctx, clusterId) : new Map<string, string[]>();
    const views = new Map<string, AgentConfigView | null>();
    // The cluster's directors as the rollout reads them, built once for all of its views.
    let rolloutPeers: Promise<RolloutPeer[]> | undefined;
    const peers = () => (rolloutPeers ??= Promise.resolve(list.map(rolloutPeer)));
    for (const name of names) {
      const r = list.find((x) => x.name === name);
      if (!r || r.rev === null) {
        views.set(name, null);
        continue;
      }
      const overlay: Overlay = { maintenance: r.maintenance, preferred: masters.get(r.id) ?? [], version: Number(r.adminVersion) };
      views.set(name, await viewFor(ctx, { clusterId, name }, { rev: r.rev, appliedRevision: r.appliedRevision }, overlay, peers));
    }
    out.set(clusterId, views);
    // Delivered as soon as rendered: the first agents apply and acknowledge (the database's
    // work) while the other clusters are still being rendered (this process's).
    onCluster?.(clusterId, views);
  }
  return out;
}

/** Reads and parses many revisions in one query into the parsed cache (render() then finds them). */
async function prefetchRevisions(ctx: ServiceContext, wanted: { clusterId: string; number: number }[]): Promise<void> {
  const rows = await ctx.db
    .select()
    .from(specRevisions)
    .where(sql`(${specRevisions.clusterId}, ${specRevisions.number}) in (select k.c, k.n from jsonb_to_recordset(${JSON.stringify(wanted.map((w) => ({ c: w.clusterId, n: w.number })))}::jsonb) as k(c uuid, n integer))`);
  const pause = sliceBudget();
  for (const row of rows) {
    // Parsing is CPU: let the event loop breathe between slices of a site-wide change.
    await pause();
    if (parsed.has(row.clusterId, row.number)) continue;
    // Parsed once per process (specs/parsed.ts): not at all in the replica that wrote it.
    const spec = parsedSpec(row.clusterId, row.number, row.spec);
    if (!spec) continue; // render() reads it again and fails for that cluster alone
    parsed.set(row.clusterId, row.number, Promise.resolve({ createdAt: row.createdAt.getTime(), spec }));
  }
}

type Peer = { id: string; name: string; appliedRevision: number | null; reportedState: unknown; lastSeenAt: Date | null };
const rolloutPeer = (p: Omit<Peer, 'id'>): RolloutPeer => ({ name: p.name, appliedRevision: p.appliedRevision, state: p.reportedState, lastSeenAt: p.lastSeenAt?.getTime() ?? null });
const peerCache = new Map<string, { at: number; rows: Promise<Peer[]> }>();
const PEERS_TTL_MS = 250;

/**
 * The cluster's directors for a rollout decision. When a change reaches a cluster all of its
 * agents ask within milliseconds; they share one read (for 250 ms). A peer applying a revision
 * drops the cached read at once (`forgetPeers`), so a held master is never kept waiting by it.
 */
async function peersOf(ctx: ServiceContext, clusterId: string): Promise<Peer[]> {
  const hit = peerCache.get(clusterId);
  if (hit && Date.now() - hit.at < PEERS_TTL_MS) return hit.rows;
  const rows = ctx.db
    .select({ id: directors.id, name: directors.name, appliedRevision: directors.appliedRevision, reportedState: directors.reportedState, lastSeenAt: directors.lastSeenAt })
    .from(directors)
    .where(eq(directors.clusterId, clusterId));
  const entry = { at: Date.now(), rows: Promise.resolve(rows) };
  peerCache.set(clusterId, entry);
  entry.rows.catch(() => peerCache.delete(clusterId));
  if (peerCache.size > 10_000) peerCache.delete(peerCache.keys().next().value!);
  return entry.rows;
}

export function forgetPeers(clusterId: string): void {
  peerCache.delete(clusterId);
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
  for (let first = true; ; first = false) {
    if (signal?.aborted) return undefined;
    const view = await effectiveConfig(ctx, !first);
    const left = deadline - Date.now();
    if ((view?.version ?? null) !== known || left <= 0) return view;
    // Woken by a spec write or a peer's report in any replica (LISTEN/NOTIFY, or this process
    // directly), or by the client going away.
    await revisionChanges.wait(agent.clusterId, Math.min(left, RECHECK_MS, HOLD_MAX_MS), signal, agent.name);
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

revisionChanges.onApplied.push(forgetPeers);
