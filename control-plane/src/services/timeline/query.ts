/**
 * GET /v1/timeline: per VRRP instance, who held it over a window (segments with outages), each
 * failover with its cause and gap, and the changes that happened on the same time axis (spec
 * revisions and rollbacks, operator actions, rejected configs, split brains), so "what changed
 * just before this failover" is one look. Reads only the audit log and the directors' last
 * report times; the lanes are built by the pure build.ts.
 *
 * An agent's clock is its claim: an event's time is its agent time, never later than when the
 * control plane received it.
 */
import { and, asc, desc, eq, gte, inArray, lte, sql, type SQL } from 'drizzle-orm';
import { clusters, directors, events, sites } from '../../../../schema/src/tables/index.ts';
import { InstanceApply } from '../../../../schema/src/wire/events.ts';
import { validation } from '../../errors.ts';
import { REPORT_FRESH_MS } from '../agents/reported.ts';
import { requireRole, scopedSite, type ServiceContext } from '../context.ts';
import { ACTION_WINDOW_MS, buildLane, type CauseHint, type LaneTransition, type PriorTransition } from './build.ts';

export const TIMELINE_MAX_WINDOW_MS = 31 * 24 * 3600_000;
const MAX_TRANSITIONS = 50_000;
const MAX_MARKERS = 2_000;
/** The kinds drawn on the axis beside the failovers. */
export const MARKER_KINDS = ['spec.revision_created', 'spec.rolled_back', 'director.maintenance', 'instance.move_master', 'config.rejected', 'vrrp.split_brain', 'vrrp.split_brain_resolved'] as const;

export interface TimelineQuery {
  siteId?: string;
  clusterId?: string;
  instance?: string;
  since?: Date;
  until?: Date;
  /** Most lanes returned (sorted by site, cluster, instance). */
  lanes?: number;
  now?: number;
}

interface TransitionDetails { from?: unknown; to?: unknown; reason?: unknown; lastAdvertAt?: unknown; vipsAt?: unknown; incarnation?: unknown }

const at = (agentTime: Date | null, receivedAt: Date) => Math.min(agentTime?.getTime() ?? Infinity, receivedAt.getTime());
const str = (v: unknown) => (typeof v === 'string' ? v : '');
const instant = (v: unknown): number | null => {
  const t = typeof v === 'string' ? Date.parse(v) : NaN;
  return Number.isFinite(t) ? t : null;
};

export async function timeline(ctx: ServiceContext, q: TimelineQuery) {
  requireRole(ctx, 'viewer');
  const now = q.now ?? Date.now();
  const until = q.until?.getTime() ?? now;
  const since = q.since?.getTime() ?? until - 3600_000;
  if (since >= until) throw validation('since must be before until', [{ path: ['query', 'since'], message: 'earlier than until' }]);
  if (until - since > TIMELINE_MAX_WINDOW_MS) throw validation('the window is at most 31 days', [{ path: ['query', 'since'], message: 'narrow the window' }]);
  const maxLanes = Math.min(Math.max(q.lanes ?? 100, 1), 500);

  const filters: SQL[] = [];
  const scope = scopedSite(ctx);
  if (scope) filters.push(eq(events.siteId, scope));
  if (q.siteId) filters.push(eq(events.siteId, q.siteId));
  if (q.clusterId) filters.push(eq(events.clusterId, q.clusterId));

  const cols = { id: events.id, clusterId: events.clusterId, instance: events.instance, details: events.details, agentTime: events.agentTime, receivedAt: events.receivedAt, director: directors.name, cluster: clusters.name, site: sites.name };
  // The agent's time decides the window; receipt bounds it (a batch delivered after an outage
  // lands where it happened, a clock in the future lands when it was received).
  const inWindow = await ctx.db
    .select(cols)
    .from(events)
    .innerJoin(directors, eq(directors.id, events.directorId))
    .innerJoin(clusters, eq(clusters.id, events.clusterId))
    .innerJoin(sites, eq(sites.id, clusters.siteId))
    .where(and(eq(events.kind, 'vrrp.transition'), ...filters, ...(q.instance ? [eq(events.instance, q.instance)] : []),
      sql`least(coalesce(${events.agentTime}, ${events.receivedAt}), ${events.receivedAt}) between ${new Date(since).toISOString()}::timestamptz and ${new Date(until).toISOString()}::timestamptz`))
    .orderBy(asc(events.id))
    .limit(MAX_TRANSITIONS + 1);
  const truncatedTransitions = inWindow.length > MAX_TRANSITIONS;
  // Each director's last word before the window, per instance: who held it when the window opens.
  const prior = await ctx.db
    .selectDistinctOn([events.clusterId, events.instance, events.directorId], cols)
    .from(events)
    .innerJoin(directors, eq(directors.id, events.directorId))
    .innerJoin(clusters, eq(clusters.id, events.clusterId))
    .innerJoin(sites, eq(sites.id, clusters.siteId))
    .where(and(eq(events.kind, 'vrrp.transition'), ...filters, ...(q.instance ? [eq(events.instance, q.instance)] : []),
      sql`least(coalesce(${events.agentTime}, ${events.receivedAt}), ${events.receivedAt}) < ${new Date(since).toISOString()}::timestamptz`))
    .orderBy(events.clusterId, events.instance, events.directorId, desc(events.id));

  const markerRows = await ctx.db
    .select({ id: events.id, kind: events.kind, actor: events.actor, clusterId: events.clusterId, instance: events.instance, details: events.details, agentTime: events.agentTime, receivedAt: events.receivedAt, director: directors.name, cluster: clusters.name, site: sites.name })
    .from(events)
    .leftJoin(directors, eq(directors.id, events.directorId))
    .leftJoin(clusters, eq(clusters.id, events.clusterId))
    .leftJoin(sites, eq(sites.id, events.siteId))
    .where(and(inArray(events.kind, [...MARKER_KINDS, 'config.applied']), ...filters, gte(events.receivedAt, new Date(since - ACTION_WINDOW_MS)), lte(events.receivedAt, new Date(until))))
    .orderBy(asc(events.id))
    .limit(MAX_MARKERS * 4);

  const laneKeys = new Map<string, { clusterId: string; cluster: string; site: string; instance: string }>();
  for (const r of [...prior, ...inWindow]) {
    if (!r.clusterId || !r.instance) continue;
    laneKeys.set(`${r.clusterId}/${r.instance}`, { clusterId: r.clusterId, cluster: r.cluster, site: r.site, instance: r.instance });
  }
  const sorted = [...laneKeys.entries()].sort(([, a], [, b]) => a.site.localeCompare(b.site) || a.cluster.localeCompare(b.cluster) || a.instance.localeCompare(b.instance));
  const shown = sorted.slice(0, maxLanes);
  const clusterIds = [...new Set(shown.map(([, l]) => l.clusterId))];
  const seenRows = clusterIds.length ? await ctx.db.select({ clusterId: directors.clusterId, name: directors.name, lastSeenAt: directors.lastSeenAt }).from(directors).where(inArray(directors.clusterId, clusterIds)) : [];

  const hintsByCluster = new Map<string, CauseHint[]>();
  for (const m of markerRows) {
    if (!m.clusterId || !['director.maintenance', 'instance.move_master', 'config.applied'].includes(m.kind)) continue;
    const hint: CauseHint = {
      at: at(m.agentTime, m.receivedAt), kind: m.kind as CauseHint['kind'], instance: m.instance,
      director: m.kind === 'instance.move_master' ? str(m.details.to) || null : m.director,
      ...(m.kind === 'director.maintenance' ? { on: m.details.on === true } : {}),
      ...(m.kind === 'config.applied' ? changedInstances(m.details) : {}),
    };
    hintsByCluster.set(m.clusterId, [...(hintsByCluster.get(m.clusterId) ?? []), hint]);
  }

  const toTransition = (r: (typeof inWindow)[number]): LaneTransition => {
    const d = r.details as TransitionDetails;
    const vipsAt = instant(d.vipsAt);
    return {
      at: at(r.agentTime, r.receivedAt), director: r.director, from: str(d.from), to: str(d.to), reason: str(d.reason), lastAdvertAt: instant(d.lastAdvertAt),
      // Like every agent time, never later than its receipt.
      vipsAt: vipsAt === null ? null : Math.min(vipsAt, r.receivedAt.getTime()),
      ...(typeof d.incarnation === 'string' ? { incarnation: d.incarnation } : {}),
      eventId: r.id,
    };
  };
  const lanes = shown.map(([key, l]) => {
    const lastSeen = new Map(seenRows.filter((d) => d.clusterId === l.clusterId).map((d) => [d.name, d.lastSeenAt?.getTime() ?? null]));
    const built = buildLane({
      instance: l.instance, since, until, now, freshMs: REPORT_FRESH_MS, lastSeen,
      prior: prior.filter((r) => `${r.clusterId}/${r.instance}` === key).map((r): PriorTransition => {
        const d = r.details as TransitionDetails;
        return { at: at(r.agentTime, r.receivedAt), director: r.director, from: str(d.from), to: str(d.to), ...(typeof d.incarnation === 'string' ? { incarnation: d.incarnation } : {}) };
      }),
      transitions: inWindow.filter((r) => `${r.clusterId}/${r.instance}` === key).map(toTransition),
      hints: hintsByCluster.get(l.clusterId) ?? [],
      splitBrains: markerRows
        .filter((m) => m.kind === 'vrrp.split_brain' && m.clusterId === l.clusterId && m.instance === l.instance && Array.isArray(m.details.masters))
        .map((m) => ({ at: at(m.agentTime, m.receivedAt), masters: (m.details.masters as unknown[]).filter((x): x is string => typeof x === 'string') })),
    });
    return {
      ...l,
      segments: built.segments.map((s) => ({ from: new Date(s.from).toISOString(), to: new Date(s.to).toISOString(), kind: s.kind, holder: s.holder })),
      failovers: built.failovers.map((f) => ({ ...f, at: new Date(f.at).toISOString() })),
    };
  });

  const failovers = lanes
    .flatMap((l) => l.failovers.map((f) => ({ site: l.site, cluster: l.cluster, clusterId: l.clusterId, instance: l.instance, ...f })))
    .sort((a, b) => b.at.localeCompare(a.at) || b.eventId - a.eventId);
  const markers = markerRows
    .filter((m) => m.kind !== 'config.applied' && at(m.agentTime, m.receivedAt) >= since)
    .slice(-MAX_MARKERS)
    .map((m) => ({ id: m.id, at: new Date(at(m.agentTime, m.receivedAt)).toISOString(), kind: m.kind, actor: m.actor, site: m.site, cluster: m.cluster, clusterId: m.clusterId, director: m.director, instance: m.instance, details: m.details }));

  return {
    since: new Date(since).toISOString(),
    until: new Date(until).toISOString(),
    generatedAt: new Date(now).toISOString(),
    lanes,
    failovers,
    markers,
    truncated: { lanes: Math.max(0, sorted.length - shown.length), transitions: truncatedTransitions },
  };
}

const InstanceApplies = InstanceApply.array();
/** What an apply does that can explain a failover: an instance it adds or leaves alone cannot. */
const CHANGES = new Set(['in_place', 'restarted', 'removed']);

/**
 * The instances a config.applied changed (not added, not unchanged), when the agent listed them:
 * read through the wire schema the event passed at ingest, so the two stay in step.
 */
function changedInstances(details: Record<string, unknown>): { changed?: string[] } {
  const list = InstanceApplies.safeParse(details.instances);
  return list.success ? { changed: list.data.filter((i) => CHANGES.has(i.change)).map((i) => i.name) } : {};
}
