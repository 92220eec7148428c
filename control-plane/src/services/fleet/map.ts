/**
 * The fleet map (GET /v1/fleet/map): sites → clusters → VRRP instances, with who is MASTER,
 * at which effective and base priority, since when, and how fresh each director's report is.
 * Built for a thousand directors and more:
 *
 * 1. one light pass over every visible director (no reported-state bodies: only the names of
 *    the instances it claims MASTER of, extracted by Postgres) and every cluster (with the
 *    instance names of its desired spec) gives the fleet-wide summary, every split brain and
 *    each cluster's problems, whatever page is shown;
 * 2. only the requested page's clusters are then read in full (reported states, the latest
 *    transition/config/maintenance event per director).
 *
 * Freshness is the one rule of services/agents/reported.ts: a director silent for longer than
 * REPORT_FRESH_MS counts for nothing, so its last "MASTER" is shown stale, never as a master.
 */
import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import { clusters, directors, events, sites, specRevisions } from '../../../../schema/src/tables/index.ts';
import { requireRole, scopedSite, type ServiceContext } from '../context.ts';
import { isFresh, REPORT_FRESH_MS, reportedInstances } from '../agents/reported.ts';

export const FLEET_PAGE_SIZE_MAX = 200;

export type ClusterProblem = 'split_brain' | 'no_master' | 'stale' | 'never_seen' | 'drift';

export interface FleetMapQuery {
  siteId?: string;
  /** Case-insensitive substring of the site, cluster or a director name. */
  q?: string;
  /** Only clusters with at least one problem. */
  problems?: boolean;
  page?: number;
  pageSize?: number;
  /** For tests: the clock the freshness is judged by. */
  now?: number;
}

/** One cluster as the light pass sees it: counts and the fresh MASTER claims, no report bodies. */
interface LightCluster {
  id: string;
  name: string;
  siteId: string;
  siteName: string;
  desiredRevision: number | null;
  configured: string[];
  /** Director names, space-separated (for the search). */
  names: string;
  problems: ClusterProblem[];
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** The time an event happened, as far as the control plane believes it: never later than its receipt. */
const eventTime = (agentTime: Date | null, receivedAt: Date) => new Date(Math.min(agentTime?.getTime() ?? Infinity, receivedAt.getTime()));

export async function fleetMap(ctx: ServiceContext, q: FleetMapQuery = {}) {
  requireRole(ctx, 'viewer');
  const now = q.now ?? Date.now();
  const scope = scopedSite(ctx);
  const pageSize = Math.min(Math.max(q.pageSize ?? 50, 1), FLEET_PAGE_SIZE_MAX);

  const siteRows = await ctx.db.select({ id: sites.id, name: sites.name }).from(sites).where(scope ? eq(sites.id, scope) : undefined).orderBy(asc(sites.name));
  const clusterRows = await ctx.db
    .select({ id: clusters.id, name: clusters.name, siteId: clusters.siteId, desiredRevision: clusters.currentRevision })
    .from(clusters)
    .where(scope ? eq(clusters.siteId, scope) : undefined);
  const siteName = new Map(siteRows.map((s) => [s.id, s.name]));
  const configuredOf = await configuredInstances(ctx, clusterRows);
  // Everything the summary, the problems and the split brains need, per cluster, in one pass
  // that leaves the report bodies in the database (only the names of claimed instances come out).
  const freshSince = new Date(now - REPORT_FRESH_MS).toISOString();
  const fresh = sql`${directors.lastSeenAt} > ${freshSince}::timestamptz`;
  const perCluster = await ctx.db
    .select({
      clusterId: directors.clusterId,
      directors: sql<number>`count(*)::int`,
      enrolled: sql<number>`(count(*) filter (where ${directors.credentialHash} is not null))::int`,
      fresh: sql<number>`(count(*) filter (where ${fresh}))::int`,
      stale: sql<number>`(count(*) filter (where ${directors.lastSeenAt} is not null and not (${fresh})))::int`,
      neverSeen: sql<number>`(count(*) filter (where ${directors.lastSeenAt} is null and ${directors.credentialHash} is not null))::int`,
      drift: sql<number>`(count(*) filter (where ${directors.lastSeenAt} is not null and ${clusters.currentRevision} is not null and ${directors.appliedRevision} is distinct from ${clusters.currentRevision}))::int`,
      anyReported: sql<boolean>`bool_or(${directors.lastSeenAt} is not null)`,
      names: sql<string>`string_agg(lower(${directors.name}), ' ')`,
      claims: sql<unknown>`jsonb_agg(jsonb_build_array(${directors.name}, jsonb_path_query_array(${directors.reportedState}, '$.instances[*] ? (@.state == "MASTER").name'))) filter (where ${fresh})`,
    })
    .from(directors)
    .innerJoin(clusters, eq(clusters.id, directors.clusterId))
    .where(scope ? eq(clusters.siteId, scope) : undefined)
    .groupBy(directors.clusterId);
  const statsOf = new Map(perCluster.map((r) => [r.clusterId, r]));

  const ordered = clusterRows.map((c) => ({ ...c, siteName: siteName.get(c.siteId) ?? '' })).sort((a, b) => (a.siteName < b.siteName ? -1 : a.siteName > b.siteName ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const counts = { sites: siteRows.length, clusters: clusterRows.length, directors: 0, enrolled: 0, fresh: 0, stale: 0, neverSeen: 0, drift: 0, instances: 0, withoutMaster: 0, splitBrains: 0 };
  const splitBrains: { siteId: string; site: string; clusterId: string; cluster: string; instance: string; masters: string[] }[] = [];
  const light: LightCluster[] = ordered.map((c) => {
    const st = statsOf.get(c.id);
    const problems = new Set<ClusterProblem>();
    if (st) {
      counts.directors += st.directors;
      counts.enrolled += st.enrolled;
      counts.fresh += st.fresh;
      counts.stale += st.stale;
      counts.neverSeen += st.neverSeen;
      counts.drift += st.drift;
      if (st.stale) problems.add('stale');
      if (st.neverSeen) problems.add('never_seen');
      if (st.drift) problems.add('drift');
    }
    const freshMasters = new Map<string, string[]>();
    for (const claim of Array.isArray(st?.claims) ? st.claims : []) {
      const [director, instances] = Array.isArray(claim) ? claim : [];
      if (typeof director !== 'string') continue;
      for (const i of strings(instances)) freshMasters.set(i, [...(freshMasters.get(i) ?? []), director]);
    }
    const configured = configuredOf(c.id, c.desiredRevision);
    const names = new Set([...configured, ...freshMasters.keys()]);
    counts.instances += names.size;
    for (const i of names) {
      const ms = (freshMasters.get(i) ?? []).sort();
      if (ms.length > 1) {
        problems.add('split_brain');
        splitBrains.push({ siteId: c.siteId, site: c.siteName, clusterId: c.id, cluster: c.name, instance: i, masters: ms });
      }
      // An instance nobody fresh holds is an outage, unless no director of the cluster ever reported (not deployed yet).
      if (ms.length === 0 && st?.anyReported) { counts.withoutMaster++; problems.add('no_master'); }
    }
    return { ...c, configured, names: st?.names ?? '', problems: [...problems].sort() };
  });
  counts.splitBrains = splitBrains.length;

  const needle = q.q?.trim().toLowerCase();
  const matching = light.filter((c) => {
    if (q.siteId && c.siteId !== q.siteId) return false;
    if (q.problems && c.problems.length === 0) return false;
    if (needle && !c.name.toLowerCase().includes(needle) && !c.siteName.toLowerCase().includes(needle) && !c.names.split(' ').some((n) => n.includes(needle))) return false;
    return true;
  });
  const pages = Math.max(1, Math.ceil(matching.length / pageSize));
  const page = Math.min(Math.max(q.page ?? 1, 1), pages);
  const shown = matching.slice((page - 1) * pageSize, page * pageSize);

  return {
    generatedAt: new Date(now).toISOString(),
    freshnessWindowMs: REPORT_FRESH_MS,
    summary: counts,
    splitBrains,
    sites: siteRows.map((s) => ({ ...s, clusters: ordered.filter((c) => c.siteId === s.id).length })),
    page: { number: page, pages, pageSize, total: matching.length },
    items: await clusterDetails(ctx, shown, now),
  };
}

/**
 * The instance names of each cluster's desired spec. Revisions are immutable, so the names of
 * (cluster, revision) are read from the spec once per process and kept (bounded).
 */
const namesByRevision = new Map<string, string[]>();
const NAMES_CACHE_MAX = 20_000;

async function configuredInstances(ctx: ServiceContext, rows: { id: string; desiredRevision: number | null }[]) {
  const key = (id: string, rev: number) => `${id}:${rev}`;
  const missing = rows.filter((c) => c.desiredRevision !== null && !namesByRevision.has(key(c.id, c.desiredRevision)));
  for (let i = 0; i < missing.length; i += 500) {
    const part = missing.slice(i, i + 500);
    const found = await ctx.db
      .select({
        clusterId: specRevisions.clusterId, number: specRevisions.number,
        names: sql<unknown>`(select coalesce(jsonb_agg(k order by k), '[]'::jsonb) from jsonb_object_keys(case when jsonb_typeof(${specRevisions.spec}->'vrrpInstances') = 'object' then ${specRevisions.spec}->'vrrpInstances' else '{}'::jsonb end) as k)`,
      })
      .from(specRevisions)
      .where(and(inArray(specRevisions.clusterId, part.map((c) => c.id)), inArray(specRevisions.number, [...new Set(part.map((c) => c.desiredRevision!))])));
    for (const f of found) {
      if (namesByRevision.size >= NAMES_CACHE_MAX) namesByRevision.delete(namesByRevision.keys().next().value!);
      namesByRevision.set(key(f.clusterId, f.number), strings(f.names));
    }
  }
  return (id: string, rev: number | null) => (rev === null ? [] : namesByRevision.get(key(id, rev)) ?? []);
}

/** The page's clusters in full: every director's reported instances and its latest events. */
async function clusterDetails(ctx: ServiceContext, shown: LightCluster[], now: number) {
  const ids = shown.map((c) => c.id);
  if (ids.length === 0) return [];
  const pageDirectors = await ctx.db
    .select({ id: directors.id, name: directors.name, clusterId: directors.clusterId, lastSeenAt: directors.lastSeenAt, appliedRevision: directors.appliedRevision, enrolled: sql<boolean>`${directors.credentialHash} is not null`, state: directors.reportedState })
    .from(directors)
    .where(inArray(directors.clusterId, ids))
    .orderBy(asc(directors.name));
  const stateOf = new Map(pageDirectors.map((d) => [d.id, d.state]));
  // Latest transition per (director, instance), latest config outcome and maintenance per director.
  const latest = await ctx.db
    .selectDistinctOn([events.directorId, events.kind, events.instance], { directorId: events.directorId, kind: events.kind, instance: events.instance, details: events.details, agentTime: events.agentTime, receivedAt: events.receivedAt })
    .from(events)
    .where(and(inArray(events.clusterId, ids), inArray(events.kind, ['vrrp.transition', 'config.applied', 'config.rejected', 'director.maintenance'])))
    .orderBy(events.directorId, events.kind, events.instance, desc(events.id));
  const key = (directorId: string | null, kind: string, instance: string | null) => `${directorId}\u0000${kind}\u0000${instance ?? ''}`;
  const byKey = new Map(latest.map((e) => [key(e.directorId, e.kind, e.instance), e]));
  const ev = (directorId: string, kind: string, instance: string | null = null) => byKey.get(key(directorId, kind, instance));

  return shown.map((c) => {
    const mine = pageDirectors.filter((d) => d.clusterId === c.id).map((d) => ({ ...d, enrolled: Boolean(d.enrolled) }));
    const ds = mine.map((d) => {
      const applied = ev(d.id, 'config.applied');
      const rejected = ev(d.id, 'config.rejected');
      const rejectedRev = Number(rejected?.details.revision);
      // A rejection still matters while the director has not applied that revision (or a later one) since.
      const rejectedNow = rejected && (!applied || applied.receivedAt < rejected.receivedAt) && Number.isInteger(rejectedRev) && (d.appliedRevision === null || rejectedRev > d.appliedRevision);
      return {
        name: d.name,
        enrolled: d.enrolled,
        lastSeenAt: d.lastSeenAt?.toISOString() ?? null,
        ageMs: d.lastSeenAt ? Math.max(0, now - d.lastSeenAt.getTime()) : null,
        fresh: isFresh(d.lastSeenAt, now),
        appliedRevision: d.appliedRevision,
        drift: d.lastSeenAt !== null && c.desiredRevision !== null && d.appliedRevision !== c.desiredRevision,
        rejected: rejectedNow ? { revision: rejectedRev, reason: String(rejected.details.reason ?? ''), at: eventTime(rejected.agentTime, rejected.receivedAt).toISOString() } : null,
        maintenance: ev(d.id, 'director.maintenance')?.details.on === true,
      };
    });
    const reported = new Map(mine.map((d) => [d.id, reportedInstances(stateOf.get(d.id))]));
    const names = [...new Set([...c.configured, ...[...reported.values()].flatMap((is) => is.map((i) => i.name))])].sort();
    const instances = names.map((name) => {
      const members = mine.flatMap((d) => {
        const i = reported.get(d.id)?.find((x) => x.name === name);
        if (!i) return [];
        return [{ director: d.name, directorId: d.id, state: i.state.toUpperCase(), priority: i.priority ?? null, basePriority: i.basePriority ?? null, fresh: isFresh(d.lastSeenAt, now) }];
      });
      const masters = members.filter((m) => m.state === 'MASTER' && m.fresh);
      const one = masters.length === 1 ? masters[0]! : undefined;
      const t = one ? ev(one.directorId, 'vrrp.transition', name) : undefined;
      return {
        name,
        configured: c.configured.includes(name),
        master: one ? { director: one.director, priority: one.priority, basePriority: one.basePriority, since: t && t.details.to === 'master' ? eventTime(t.agentTime, t.receivedAt).toISOString() : null } : null,
        masters: masters.map((m) => m.director).sort(),
        staleMasters: members.filter((m) => m.state === 'MASTER' && !m.fresh).map((m) => m.director).sort(),
        splitBrain: masters.length > 1,
        members: members.map(({ directorId: _id, ...m }) => m),
      };
    });
    return { id: c.id, name: c.name, site: { id: c.siteId, name: c.siteName }, desiredRevision: c.desiredRevision, problems: c.problems, directors: ds, instances };
  });
}
