/**
 * One cluster as it runs (GET /v1/clusters/{id}/status): per director its freshness, rollout
 * progress (applied vs desired revision, a rejection and its reason), maintenance and reported
 * instances; per instance its master (fresh reports only) and the operator's preferred master;
 * and the load balancer's real servers as each director sees them, with since when, and the
 * quorum of each virtual server. The desired side (the spec, revisions) has its own routes.
 */
import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import { directors, events, instanceMasters } from '../../../../schema/src/tables/index.ts';
import { isFresh, REPORT_FRESH_MS, reportedInstances } from '../agents/reported.ts';
import { requireRole, type ServiceContext } from '../context.ts';
import { getClusterOrThrow } from '../internal.ts';
import { currentClaims } from '../agents/masters.ts';

interface ReportedRealServer { virtualServer: string; address: string; port: number; up: boolean; weight: number; drained?: boolean; reason?: string }

const eventTime = (agentTime: Date | null, receivedAt: Date) => new Date(Math.min(agentTime?.getTime() ?? Infinity, receivedAt.getTime())).toISOString();
const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function realServersOf(state: unknown): ReportedRealServer[] {
  const list = obj(obj(state).loadBalancer).realServers;
  if (!Array.isArray(list)) return [];
  return list.flatMap((r) => {
    const o = obj(r);
    if (typeof o.virtualServer !== 'string' || typeof o.address !== 'string') return [];
    return [{ virtualServer: o.virtualServer, address: o.address, port: num(o.port) ?? 0, up: o.up === true, weight: num(o.weight) ?? 0, drained: o.drained === true, reason: typeof o.reason === 'string' ? o.reason : '' }];
  });
}

export async function clusterStatus(ctx: ServiceContext, clusterId: string, now = Date.now()) {
  requireRole(ctx, 'viewer');
  const cluster = await getClusterOrThrow(ctx, clusterId);
  const ds = await ctx.db.select().from(directors).where(eq(directors.clusterId, cluster.id)).orderBy(asc(directors.name));
  const ids = ds.map((d) => d.id);
  const latest = ids.length
    ? await ctx.db
      .selectDistinctOn([events.directorId, events.kind, events.instance], { directorId: events.directorId, kind: events.kind, instance: events.instance, details: events.details, agentTime: events.agentTime, receivedAt: events.receivedAt })
      .from(events)
      .where(and(eq(events.clusterId, cluster.id), inArray(events.kind, ['vrrp.transition', 'config.applied', 'config.rejected'])))
      .orderBy(events.directorId, events.kind, events.instance, desc(events.id))
    : [];
  const lbRows = ids.length
    ? await ctx.db
      .selectDistinctOn([events.directorId, events.kind, sql`${events.details}->>'virtualServer'`, sql`${events.details}->>'realServer'`], { directorId: events.directorId, kind: events.kind, details: events.details, agentTime: events.agentTime, receivedAt: events.receivedAt })
      .from(events)
      .where(and(eq(events.clusterId, cluster.id), inArray(events.kind, ['lb.realServer', 'lb.quorum'])))
      .orderBy(events.directorId, events.kind, sql`${events.details}->>'virtualServer'`, sql`${events.details}->>'realServer'`, desc(events.id))
    : [];
  const preferredRows = await ctx.db
    .select({ instance: instanceMasters.instance, directorId: instanceMasters.directorId })
    .from(instanceMasters)
    .where(eq(instanceMasters.clusterId, cluster.id));
  const preferredOf = new Map(preferredRows.map((p) => [p.instance, ds.find((d) => d.id === p.directorId)?.name ?? null]));

  const ev = (directorId: string, kind: string, instance: string | null = null) => latest.find((e) => e.directorId === directorId && e.kind === kind && e.instance === instance);
  const desired = cluster.currentRevision;

  const directorViews = ds.map((d) => {
    const fresh = isFresh(d.lastSeenAt, now);
    const applied = ev(d.id, 'config.applied');
    const rejected = ev(d.id, 'config.rejected');
    const rejectedRev = num(rejected?.details.revision);
    let rollout: { status: 'unenrolled' | 'unreported' | 'current' | 'behind' | 'rejected'; reason?: string; revision?: number; at?: string };
    if (!d.credentialHash && !d.lastSeenAt) rollout = { status: 'unenrolled' };
    else if (!d.lastSeenAt) rollout = { status: 'unreported' };
    else if (rejected && rejectedRev !== null && (!applied || applied.receivedAt < rejected.receivedAt) && (d.appliedRevision === null || rejectedRev > d.appliedRevision)) {
      rollout = { status: 'rejected', revision: rejectedRev, reason: String(rejected.details.reason ?? ''), at: eventTime(rejected.agentTime, rejected.receivedAt) };
    } else if (desired !== null && d.appliedRevision !== desired) rollout = { status: 'behind', revision: desired };
    else rollout = { status: 'current', ...(applied ? { at: eventTime(applied.agentTime, applied.receivedAt) } : {}) };
    return {
      name: d.name,
      labels: d.labels,
      enrolled: d.credentialHash !== null,
      lastSeenAt: d.lastSeenAt?.toISOString() ?? null,
      ageMs: d.lastSeenAt ? Math.max(0, now - d.lastSeenAt.getTime()) : null,
      fresh,
      appliedRevision: d.appliedRevision,
      maintenance: d.maintenance,
      rollout,
      backend: typeof obj(obj(d.reportedState).loadBalancer).backend === 'string' ? String(obj(obj(d.reportedState).loadBalancer).backend) : null,
      instances: reportedInstances(d.reportedState).map((i) => {
        const o = i as unknown as Record<string, unknown>;
        return {
          name: i.name, state: i.state.toUpperCase(), priority: num(o.priority), basePriority: num(o.basePriority),
          vips: Array.isArray(o.vips) ? o.vips.filter((v): v is string => typeof v === 'string') : [], vipsHeld: o.vipsHeld === true,
          tracked: Array.isArray(o.tracked) ? o.tracked.map(obj).map((t) => ({ name: String(t.name ?? ''), up: t.up === true, weight: num(t.weight) ?? 0 })) : [],
        };
      }),
    };
  });

  const names = [...new Set(directorViews.flatMap((d) => d.instances.map((i) => i.name)))].sort();
  const instances = names.map((name) => {
    const claims = ds.filter((d) => directorViews.find((v) => v.name === d.name)!.instances.some((i) => i.name === name && i.state === 'MASTER'));
    const fresh = claims.filter((d) => isFresh(d.lastSeenAt, now)).map((d) => {
      const t = ev(d.id, 'vrrp.transition', name);
      // The claim rule compares receipts (the control plane's clock, masters.ts); "since" is when it happened.
      const took = t && t.details.to === 'master' ? t : undefined;
      return { director: d.name, seenAt: d.lastSeenAt!.getTime(), takeoverAt: took ? took.receivedAt.getTime() : null, since: took ? eventTime(took.agentTime, took.receivedAt) : null };
    });
    // A report made before another claimant took over does not count (masters.ts).
    const counting = currentClaims(fresh);
    const masters = counting.map((c) => c.director).sort();
    const only = counting.length === 1 ? counting[0]! : undefined;
    return {
      name,
      master: only ? only.director : null,
      since: only?.since ?? null,
      masters,
      staleMasters: claims.filter((d) => !isFresh(d.lastSeenAt, now)).map((d) => d.name),
      supersededMasters: fresh.filter((c) => !counting.includes(c)).map((c) => c.director).sort(),
      splitBrain: masters.length > 1,
      preferredMaster: preferredOf.get(name) ?? null,
    };
  });

  const lbEvent = (directorId: string, kind: string, vs: string, rs?: string) => lbRows.find((e) => e.directorId === directorId && e.kind === kind && e.details.virtualServer === vs && (rs === undefined || e.details.realServer === rs));
  const realServers = ds.flatMap((d) => realServersOf(d.reportedState).map((r) => {
    const e = lbEvent(d.id, 'lb.realServer', r.virtualServer, `${r.address}:${r.port}`);
    return { director: d.name, fresh: isFresh(d.lastSeenAt, now), ...r, since: e && e.details.up === r.up ? eventTime(e.agentTime, e.receivedAt) : null };
  }));
  const quorum = ds.flatMap((d) => lbRows.filter((e) => e.directorId === d.id && e.kind === 'lb.quorum').map((e) => ({
    director: d.name, virtualServer: String(e.details.virtualServer ?? ''), up: e.details.up === true, reason: String(e.details.reason ?? ''), since: eventTime(e.agentTime, e.receivedAt),
  })));

  return {
    cluster: { id: cluster.id, name: cluster.name, site: { id: cluster.siteId, name: cluster.siteName }, description: cluster.description, segment: cluster.segment },
    desiredRevision: desired,
    generatedAt: new Date(now).toISOString(),
    freshnessWindowMs: REPORT_FRESH_MS,
    directors: directorViews,
    instances,
    realServers,
    quorum,
  };
}
