/**
 * The fleet map (GET /v1/fleet/map): sites → clusters → VRRP instances, with who is MASTER,
 * at which effective and base priority, since when, and how fresh each director's report is.
 * Built for a thousand directors and more:
 *
 * 1. one light pass, aggregated per cluster by the database (counts, director names, and only
 *    the names of the instances each fresh director claims MASTER of: no report bodies), plus
 *    the instance names of each cluster's desired spec (cached per immutable revision), gives
 *    the fleet-wide summary, every split brain and each cluster's problems, whatever page is
 *    shown;
 * 2. only the requested page's clusters are then read in full (reported states, maintenance,
 *    the latest transition and config outcome per director).
 *
 * Bulk reads come back as one JSON value each (jsonRows): on the embedded database every row
 * crossing from its thread costs more than the row's own work, and a thousand directors are a
 * thousand rows otherwise.
 *
 * Freshness is the one rule of services/agents/reported.ts: a director silent for longer than
 * REPORT_FRESH_MS counts for nothing, so its last "MASTER" is shown stale, never as a master.
 */
import { and, asc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { clusters, directors, events, sites, specRevisions } from '../../../../schema/src/tables/index.ts';
import { requireRole, scopedSite, type ServiceContext } from '../context.ts';
import { isFresh, REPORT_FRESH_MS, reportedInstances } from '../agents/reported.ts';
import { currentClaims, takeoverTimes } from '../agents/masters.ts';

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
  /** Director names, lower case, space-separated (for the search). */
  names: string;
  problems: ClusterProblem[];
}

interface ClusterStats {
  clusterId: string;
  directors: number;
  enrolled: number;
  fresh: number;
  stale: number;
  neverSeen: number;
  drift: number;
  anyReported: boolean;
  names: string | null;
  /** [director, director id, last report (ISO), [instances it claims MASTER of]] for each fresh director. */
  claims: unknown;
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const date = (v: unknown): Date | null => (typeof v === 'string' || v instanceof Date ? new Date(v) : null);

/** The time an event happened, as far as the control plane believes it: never later than its receipt. */
const eventTime = (agentTime: Date | null, receivedAt: Date) => new Date(Math.min(agentTime?.getTime() ?? Infinity, receivedAt.getTime()));

/** The rows of `query`, transferred as a single JSON value (timestamps arrive as ISO strings). */
async function jsonRows<T>(ctx: ServiceContext, query: SQL): Promise<T[]> {
  const r = (await ctx.db.execute(sql`select coalesce(json_agg(x), '[]'::json)::text as j from (${query}) x`)) as unknown as { rows?: Array<{ j: string }> } & Array<{ j: string }>;
  const text = r.rows?.[0]?.j ?? r[0]?.j ?? '[]';
  return JSON.parse(text) as T[];
}

export async function fleetMap(ctx: ServiceContext, q: FleetMapQuery = {}) {
  requireRole(ctx, 'viewer');
  const now = q.now ?? Date.now();
  const scope = scopedSite(ctx);
  const pageSize = Math.min(Math.max(q.pageSize ?? 50, 1), FLEET_PAGE_SIZE_MAX);
  const inScope = scope ? sql`where ${clusters.siteId} = ${scope}` : sql``;

  const siteRows = await ctx.db.select({ id: sites.id, name: sites.name }).from(sites).where(scope ? eq(sites.id, scope) : undefined).orderBy(asc(sites.name));
  const clusterRows = await jsonRows<{ id: string; name: string; siteId: string; desiredRevision: number | null }>(ctx,
    sql`select ${clusters.id} as "id", ${clusters.name} as "name", ${clusters.siteId} as "siteId", ${clusters.currentRevision} as "desiredRevision" from ${clusters} ${inScope}`);
  const siteName = new Map(siteRows.map((s) => [s.id, s.name]));
  const configuredOf = await configuredInstances(ctx, clusterRows);

  // Everything the summary, the problems and the split brains need, per cluster, in one pass
  // that leaves the report bodies in the database (only the names of claimed instances come out).
  const freshSince = new Date(now - REPORT_FRESH_MS).toISOString();
  const fresh = sql`${directors.lastSeenAt} > ${freshSince}::timestamptz`;
  const perCluster = await jsonRows<ClusterStats>(ctx, sql`
    select ${directors.clusterId} as "clusterId",
      count(*)::int as "directors",
      (count(*) filter (where ${directors.credentialHash} is not null))::int as "enrolled",
      (count(*) filter (where ${fresh}))::int as "fresh",
      (count(*) filter (where ${directors.lastSeenAt} is not null and not (${fresh})))::int as "stale",
      (count(*) filter (where ${directors.lastSeenAt} is null and ${directors.credentialHash} is not null))::int as "neverSeen",
      (count(*) filter (where ${directors.lastSeenAt} is not null and ${clusters.currentRevision} is not null and ${directors.appliedRevision} is distinct from ${clusters.currentRevision}))::int as "drift",
      bool_or(${directors.lastSeenAt} is not null) as "anyReported",
      string_agg(lower(${directors.name}), ' ') as "names",
      jsonb_agg(jsonb_build_array(${directors.name}, ${directors.id}, ${directors.lastSeenAt}, jsonb_path_query_array(${directors.reportedState}, '$.instances[*] ? (@.state == "MASTER").name'))) filter (where ${fresh}) as "claims"
    from ${directors} join ${clusters} on ${clusters.id} = ${directors.clusterId} ${inScope}
    group by ${directors.clusterId}`);
  const statsOf = new Map(perCluster.map((r) => [r.clusterId, r]));

  const ordered = clusterRows.map((c) => ({ ...c, siteName: siteName.get(c.siteId) ?? '' })).sort((a, b) => (a.siteName < b.siteName ? -1 : a.siteName > b.siteName ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  // Fresh MASTER claims per cluster and instance; where two or more, the ones made before
  // another claimant's takeover do not count (a crashed master's last report: masters.ts).
  type Claim = { director: string; id: string; seenAt: number; takeoverAt: number | null };
  const claimsOf = new Map<string, Map<string, Claim[]>>();
  for (const st of perCluster) {
    const byInstance = new Map<string, Claim[]>();
    for (const claim of Array.isArray(st.claims) ? st.claims : []) {
      const [director, id, seen, instances] = Array.isArray(claim) ? claim : [];
      if (typeof director !== 'string' || typeof id !== 'string') continue;
      for (const i of strings(instances)) byInstance.set(i, [...(byInstance.get(i) ?? []), { director, id, seenAt: Date.parse(String(seen)), takeoverAt: null }]);
    }
    const contested = [...byInstance].filter(([, cs]) => cs.length > 1);
    if (contested.length) {
      const takeovers = await takeoverTimes(ctx, st.clusterId, [...new Set(contested.flatMap(([, cs]) => cs.map((c) => c.id)))], contested.map(([i]) => i));
      for (const [i, cs] of contested) byInstance.set(i, currentClaims(cs.map((c) => ({ ...c, takeoverAt: takeovers.get(`${c.id}/${i}`) ?? null }))));
    }
    claimsOf.set(st.clusterId, byInstance);
  }
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
    const freshMasters = new Map([...(claimsOf.get(c.id) ?? [])].map(([i, cs]) => [i, cs.map((x) => x.director)]));
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

interface PageDirector { id: string; name: string; clusterId: string; lastSeenAt: string | null; appliedRevision: number | null; maintenance: boolean; enrolled: boolean; state: unknown }
interface LatestEvent { directorId: string | null; kind: string; instance: string | null; details: Record<string, unknown>; agentTime: string | null; receivedAt: string }

/** The page's clusters in full: every director's reported instances and its latest events. */
async function clusterDetails(ctx: ServiceContext, shown: LightCluster[], now: number) {
  const ids = shown.map((c) => c.id);
  if (ids.length === 0) return [];
  const pageDirectors = (await jsonRows<PageDirector>(ctx, sql`
    select ${directors.id} as "id", ${directors.name} as "name", ${directors.clusterId} as "clusterId", ${directors.lastSeenAt} as "lastSeenAt",
      ${directors.appliedRevision} as "appliedRevision", ${directors.maintenance} as "maintenance", ${directors.credentialHash} is not null as "enrolled", ${directors.reportedState} as "state"
    from ${directors} where ${inArray(directors.clusterId, ids)} order by ${directors.name}`))
    .map((d) => ({ ...d, lastSeenAt: date(d.lastSeenAt) }));
  // Latest transition per (director, instance) and latest config outcome per director.
  const latest = (await jsonRows<LatestEvent>(ctx, sql`
    select distinct on (${events.directorId}, ${events.kind}, ${events.instance})
      ${events.directorId} as "directorId", ${events.kind} as "kind", ${events.instance} as "instance", ${events.details} as "details", ${events.agentTime} as "agentTime", ${events.receivedAt} as "receivedAt"
    from ${events}
    where ${inArray(events.clusterId, ids)} and ${inArray(events.kind, ['vrrp.transition', 'config.applied', 'config.rejected'])}
    order by ${events.directorId}, ${events.kind}, ${events.instance}, ${events.id} desc`))
    .map((e) => ({ ...e, agentTime: date(e.agentTime), receivedAt: date(e.receivedAt)! }));
  const key = (directorId: string | null, kind: string, instance: string | null) => `${directorId}\u0000${kind}\u0000${instance ?? ''}`;
  const byKey = new Map(latest.map((e) => [key(e.directorId, e.kind, e.instance), e]));
  const ev = (directorId: string, kind: string, instance: string | null = null) => byKey.get(key(directorId, kind, instance));

  return shown.map((c) => {
    const mine = pageDirectors.filter((d) => d.clusterId === c.id);
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
        maintenance: d.maintenance,
      };
    });
    const reported = new Map(mine.map((d) => [d.id, reportedInstances(d.state)]));
    const names = [...new Set([...c.configured, ...[...reported.values()].flatMap((is) => is.map((i) => i.name))])].sort();
    const instances = names.map((name) => {
      const members = mine.flatMap((d) => {
        const i = reported.get(d.id)?.find((x) => x.name === name);
        if (!i) return [];
        const t = ev(d.id, 'vrrp.transition', name);
        return [{ director: d.name, directorId: d.id, state: i.state.toUpperCase(), priority: i.priority ?? null, basePriority: i.basePriority ?? null, fresh: isFresh(d.lastSeenAt, now), seenAt: d.lastSeenAt?.getTime() ?? 0,
          // The claim rule compares receipts (the control plane's clock, masters.ts); "since" is
          // when it happened, as far as the control plane believes the agent.
          takeoverAt: t && t.details.to === 'master' ? t.receivedAt.getTime() : null,
          since: t && t.details.to === 'master' ? eventTime(t.agentTime, t.receivedAt).toISOString() : null }];
      });
      const claims = members.filter((m) => m.state === 'MASTER' && m.fresh);
      const masters = currentClaims(claims);
      const one = masters.length === 1 ? masters[0]! : undefined;
      return {
        name,
        configured: c.configured.includes(name),
        master: one ? { director: one.director, priority: one.priority, basePriority: one.basePriority, since: one.since } : null,
        masters: masters.map((m) => m.director).sort(),
        staleMasters: members.filter((m) => m.state === 'MASTER' && !m.fresh).map((m) => m.director).sort(),
        /** Fresh reports saying MASTER made before another director took over: not counted. */
        supersededMasters: claims.filter((m) => !masters.includes(m)).map((m) => m.director).sort(),
        splitBrain: masters.length > 1,
        members: members.map(({ directorId: _id, seenAt: _s, takeoverAt: _t, since: _since, ...m }) => ({ ...m, superseded: m.state === 'MASTER' && m.fresh && !masters.some((x) => x.director === m.director) })),
      };
    });
    return { id: c.id, name: c.name, site: { id: c.siteId, name: c.siteName }, desiredRevision: c.desiredRevision, problems: c.problems, directors: ds, instances };
  });
}
