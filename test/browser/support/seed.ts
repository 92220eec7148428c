/**
 * Data for the dashboard tests and the dashboard bench.
 *
 * `seedDemo` goes through the public API the way an operator and agents would (sites,
 * clusters, specs, enrollment, agent reports with transitions and real servers), so what the
 * dashboard shows went through the same validation and storage as production data. A few
 * things the API cannot do by design are then done to the database directly: a site whose
 * *name* is hostile markup (the API only accepts DNS-label names; the dashboard must still
 * render any stored text as text), and report times in the past (a stale director).
 *
 * `seedScale` writes a large fleet straight into the tables (1,000 directors take seconds,
 * not minutes), with reported states and some audit-log history.
 */
import { sql } from 'drizzle-orm';
import { exampleClusterSpecInput } from '../../../schema/src/spec/example.ts';
import { ClusterSpec } from '../../../schema/src/spec/cluster.ts';
import { clusters, directors, sites, specRevisions } from '../../../schema/src/tables/index.ts';
import type { DbHandle } from '../../../control-plane/src/db.ts';
import { appendEvent } from '../../../control-plane/src/services/events/append.ts';
import { specHash } from '../../../control-plane/src/services/specs/internal.ts';

export const XSS = '<img src=x onerror=alert(1)>';
export const XSS_SCRIPT = '<script>alert("xss")</script>';

export interface Reply { status: number; body: any } // eslint-disable-line @typescript-eslint/no-explicit-any

export class Api {
  constructor(readonly base: string, readonly token: string) {}

  async call(method: string, path: string, body?: unknown, token: string | null = this.token): Promise<Reply> {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${this.base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed };
  }

  async must(method: string, path: string, body?: unknown, token?: string): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const r = await this.call(method, path, body, token);
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }
}

/** Enrolls a director the way install.sh does; returns its agent credential. */
export async function enroll(api: Api, site: string, cluster: string, director: string): Promise<string> {
  const t = await api.must('POST', `/v1/sites/${encodeURIComponent(site)}/enrollment-tokens`, { maxUses: 1 });
  return (await api.must('POST', '/v1/agent/enroll', { cluster, director }, t.secret)).credential;
}

export interface AgentSim {
  credential: string;
  seq: number;
  /** The last state it reported (sent again by keepReporting, as agents do every few seconds). */
  state?: unknown;
}

/** One agent report (state, applied revision, outbox events) over the agents' HTTP route. */
export async function report(api: Api, agent: AgentSim, body: { state?: unknown; appliedRevision?: number; events?: Array<{ kind: string; instance?: string; agentTime: string; details: Record<string, unknown> }> }): Promise<void> {
  const events = (body.events ?? []).map((e) => ({ ...e, seq: ++agent.seq }));
  if (body.state !== undefined) agent.state = body.state;
  await api.must('POST', '/v1/agent/reports', { ...body, events }, agent.credential);
}

const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
const transition = (instance: string, from: string, to: string, reason: string, atMsAgo: number, priority: number, lastAdvertMsAgo: number | null = null) => ({
  kind: 'vrrp.transition', instance, agentTime: ago(atMsAgo),
  details: { from, to, reason, priority, lastAdvertAt: lastAdvertMsAgo === null ? null : ago(lastAdvertMsAgo), masterAddress: null },
});

export const instanceState = (name: string, state: string, priority: number, basePriority = priority, vips: string[] = []) => ({ name, state, priority, basePriority, vips, vipsHeld: state === 'MASTER' && vips.length > 0, tracked: [], lastTransition: null });

export const twoDirectorSpec = (names: [string, string], vrid: number, vip: string) => ({
  version: 1,
  directors: { [names[0]]: {}, [names[1]]: {} },
  vrrpInstances: {
    VI_1: { interface: 'eth0', virtualRouterId: vrid, advertIntervalMs: 1000, virtualIpAddresses: [vip], directors: { [names[0]]: { priority: 150 }, [names[1]]: { priority: 100 } } },
  },
});

export interface Demo {
  clusters: Record<string, string>;
  agents: Record<string, AgentSim>;
  tokens: { viewer: string; operator: string; operatorName: string };
}

/**
 * A small fleet with one of everything the map must show: a healthy cluster with history and
 * real servers (par1/web), a stale master (par1/dns), a split brain (fra1/web), drift with a
 * rejection (fra1/api), and hostile text in a site name, a description, a token name and an
 * agent-reported reason.
 */
export async function seedDemo(api: Api, db: DbHandle): Promise<Demo> {
  const clusterIds: Record<string, string> = {};
  const agents: Record<string, AgentSim> = {};
  await api.must('POST', '/v1/sites', { name: 'par1', description: 'Paris PoP' });
  await api.must('POST', '/v1/sites', { name: 'fra1', description: `Frankfurt ${XSS}` });
  const cluster = async (site: string, name: string, dirs: string[], spec: unknown, description = '') => {
    const c = await api.must('POST', `/v1/sites/${encodeURIComponent(site)}/clusters`, { name, description });
    clusterIds[`${site}/${name}`] = c.id;
    for (const d of dirs) await api.must('POST', `/v1/clusters/${c.id}/directors`, { name: d });
    if (spec) await api.must('PUT', `/v1/clusters/${c.id}/spec`, { spec, message: `initial ${name}` });
    for (const d of dirs) agents[d] = { credential: await enroll(api, site, name, d), seq: 0 };
    return c.id as string;
  };

  // par1/web: the example LVS-DR cluster; lb1 master with a failover and a failback in its history.
  await cluster('par1', 'web', ['lb1', 'lb2'], exampleClusterSpecInput, 'front web');
  const rs = (up21: boolean) => ({
    backend: 'nftables',
    realServers: [
      { virtualServer: 'TCP 192.0.2.100:80', address: '192.0.2.21', port: 80, up: up21, weight: up21 ? 2 : 0, reason: up21 ? '' : 'HTTP_GET /healthz: status 503, expected 200 or 301-302' },
      { virtualServer: 'TCP 192.0.2.100:80', address: '192.0.2.22', port: 80, up: true, weight: 1, reason: '' },
      { virtualServer: 'TCP 192.0.2.100:443', address: '192.0.2.21', port: 443, up: true, weight: 1, reason: '' },
      { virtualServer: 'TCP 192.0.2.100:443', address: '192.0.2.22', port: 443, up: true, weight: 1, reason: '' },
    ],
  });
  await report(api, agents.lb2!, {
    appliedRevision: 1,
    state: { director: 'lb2', instances: [instanceState('VI_WEB', 'BACKUP', 100, 100, ['192.0.2.100/24'])], loadBalancer: rs(true) },
    events: [
      transition('VI_WEB', 'initialize', 'backup', 'startup', 50 * 60_000, 100),
      transition('VI_WEB', 'backup', 'master', 'master_down_timer', 20 * 60_000, 100, 20 * 60_000 + 3_640),
      transition('VI_WEB', 'master', 'backup', 'higher_priority_advert', 12 * 60_000 - 2, 100),
    ],
  });
  await report(api, agents.lb1!, {
    appliedRevision: 1,
    state: { director: 'lb1', instances: [instanceState('VI_WEB', 'MASTER', 150, 150, ['192.0.2.100/24'])], loadBalancer: rs(false) },
    events: [
      transition('VI_WEB', 'backup', 'master', 'master_down_timer', 50 * 60_000 - 3_000, 150),
      transition('VI_WEB', 'initialize', 'backup', 'startup', 12 * 60_000 + 1_000, 150),
      transition('VI_WEB', 'backup', 'master', 'preempt', 12 * 60_000, 150, 12 * 60_000 + 5),
    ],
  });

  // par1/dns: lb3 last said MASTER two minutes ago and has been silent since; lb4 is a fresh backup.
  const dns = await cluster('par1', 'dns', ['lb3', 'lb4'], twoDirectorSpec(['lb3', 'lb4'], 61, '192.0.2.53/24'));
  await report(api, agents.lb3!, { appliedRevision: 1, state: { director: 'lb3', instances: [instanceState('VI_1', 'MASTER', 150)] }, events: [transition('VI_1', 'backup', 'master', 'master_down_timer', 30 * 60_000, 150)] });
  await report(api, agents.lb4!, { appliedRevision: 1, state: { director: 'lb4', instances: [instanceState('VI_1', 'BACKUP', 100)] } });
  await db.db.execute(sql`update directors set last_seen_at = now() - interval '2 minutes' where cluster_id = ${dns} and name = 'lb3'`);

  // fra1/web: a split brain, both fresh.
  await cluster('fra1', 'web', ['lb5', 'lb6'], twoDirectorSpec(['lb5', 'lb6'], 71, '198.51.100.10/24'));
  await report(api, agents.lb5!, { appliedRevision: 1, state: { director: 'lb5', instances: [instanceState('VI_1', 'MASTER', 150)] }, events: [transition('VI_1', 'backup', 'master', 'master_down_timer', 40 * 60_000, 150)] });
  await report(api, agents.lb6!, { appliedRevision: 1, state: { director: 'lb6', instances: [instanceState('VI_1', 'MASTER', 100)] }, events: [transition('VI_1', 'backup', 'master', 'master_down_timer', 3 * 60_000, 100, 3 * 60_000 + 3_600)] });

  // fra1/api: revision 2 rejected by lb8 (hostile text in the agent's reason), which still runs r1.
  const api1 = await cluster('fra1', 'api', ['lb7', 'lb8'], twoDirectorSpec(['lb7', 'lb8'], 81, '198.51.100.20/24'));
  await api.must('PUT', `/v1/clusters/${api1}/spec`, { spec: twoDirectorSpec(['lb7', 'lb8'], 81, '198.51.100.21/24'), message: 'move the API VIP' });
  await report(api, agents.lb7!, { appliedRevision: 2, state: { director: 'lb7', instances: [instanceState('VI_1', 'MASTER', 150)] }, events: [
    transition('VI_1', 'backup', 'master', 'master_down_timer', 35 * 60_000, 150),
    // Its interface went down and came back: the same master again, after 2.4 s with none.
    transition('VI_1', 'master', 'fault', 'interface_down', 8 * 60_000, 150),
    transition('VI_1', 'fault', 'master', 'interface_up', 8 * 60_000 - 2_400, 150),
    { kind: 'config.applied', agentTime: ago(1000), details: { revision: 2, version: 'rev-2' } }] });
  await report(api, agents.lb8!, { appliedRevision: 1, state: { director: 'lb8', instances: [instanceState('VI_1', 'BACKUP', 100)] }, events: [{ kind: 'config.rejected', agentTime: ago(900), details: { revision: 2, version: 'rev-2', reason: `interface eth9 does not exist ${XSS_SCRIPT}; nothing was changed` } }] });

  // A site whose very name is markup (written directly: the API would refuse the name).
  await db.db.insert(sites).values({ name: XSS, description: XSS_SCRIPT });
  const edge = await api.must('POST', `/v1/sites/${encodeURIComponent(XSS)}/clusters`, { name: 'edge', description: XSS });
  clusterIds['xss/edge'] = edge.id;
  await api.must('POST', `/v1/clusters/${edge.id}/directors`, { name: 'lb9' });
  agents.lb9 = { credential: await enroll(api, XSS, 'edge', 'lb9'), seq: 0 };
  await report(api, agents.lb9, { state: { director: 'lb9', instances: [instanceState('VI_1', 'MASTER', 100)] } });

  const operatorName = `ops ${XSS}`;
  const viewer = (await api.must('POST', '/v1/tokens', { name: 'vic-viewer', role: 'viewer' })).secret as string;
  const operator = (await api.must('POST', '/v1/tokens', { name: operatorName, role: 'operator' })).secret as string;
  return { clusters: clusterIds, agents, tokens: { viewer, operator, operatorName } };
}

/** Keeps the demo's fresh directors fresh (reports every few seconds, like agents do). */
export function keepReporting(api: Api, demo: Demo, names: string[], everyMs = 5000): () => void {
  const timer = setInterval(() => {
    for (const n of names) {
      const a = demo.agents[n]!;
      void api.call('POST', '/v1/agent/reports', { events: [], ...(a.state !== undefined ? { state: a.state } : {}) }, a.credential);
    }
  }, everyMs);
  return () => clearInterval(timer);
}

export interface ScaleOptions {
  sites: number;
  clustersPerSite: number;
  directorsPerCluster: number;
  /** vrrp.transition events written through the audit log's append path (hash chain and all). */
  events: number;
  /**
   * Keep the directors fresh (reported within the 30 s window) for this long after seeding,
   * without a thousand agents reporting every 5 s on a 2-core test machine: their last report is
   * dated that far ahead. Default: reported just now (fresh for 30 s).
   */
  freshForMs?: number;
}

/** A large fleet written straight into the tables; returns the number of directors. */
export async function seedScale(db: DbHandle, o: ScaleOptions): Promise<number> {
  const spec = ClusterSpec.parse({
    version: 1,
    directors: Object.fromEntries(Array.from({ length: o.directorsPerCluster }, (_, i) => [`lb${i + 1}`, {}])),
    vrrpInstances: Object.fromEntries(['VI_1', 'VI_2'].map((n, k) => [n, { interface: 'eth0', virtualRouterId: 10 + k, virtualIpAddresses: [`10.0.${k}.1/24`], directors: Object.fromEntries(Array.from({ length: o.directorsPerCluster }, (_, i) => [`lb${i + 1}`, { priority: 200 - i * 10 - k }])) }])),
  });
  const hash = specHash(spec);
  const now = Date.now();
  let n = 0;
  const directorIds: Array<{ id: string; clusterId: string; siteId: string; name: string }> = [];
  for (let s = 0; s < o.sites; s++) {
    const [site] = await db.db.insert(sites).values({ name: `scale-${String(s).padStart(3, '0')}` }).returning();
    const clusterRows = await db.db.insert(clusters).values(Array.from({ length: o.clustersPerSite }, (_, c) => ({ siteId: site!.id, name: `c${String(c).padStart(4, '0')}`, currentRevision: 1 }))).returning();
    await db.db.insert(specRevisions).values(clusterRows.map((c) => ({ clusterId: c.id, number: 1, spec, specHash: hash, message: 'scale seed', createdBy: 'system:seed' })));
    const rows = clusterRows.flatMap((c) => Array.from({ length: o.directorsPerCluster }, (_, i) => ({
      clusterId: c.id,
      name: `lb${i + 1}`,
      credentialHash: `seed-${c.id}-${i}`,
      appliedRevision: 1,
      lastSeenAt: new Date(now + Math.max(0, (o.freshForMs ?? 0) - 30_000) - (n++ % 7) * 1000),
      reportedState: {
        director: `lb${i + 1}`,
        instances: ['VI_1', 'VI_2'].map((name, k) => instanceState(name, i === 0 ? 'MASTER' : 'BACKUP', 200 - i * 10 - k, 200 - i * 10 - k, [`10.0.${k}.1/24`])),
      },
    })));
    const inserted = await db.db.insert(directors).values(rows).returning({ id: directors.id, clusterId: directors.clusterId, name: directors.name });
    for (const d of inserted) directorIds.push({ ...d, siteId: site!.id });
  }
  // History: transitions spread over the directors, through the real append path.
  for (let i = 0; i < o.events; i++) {
    const d = directorIds[(i * 7919) % directorIds.length]!;
    await appendEvent({ db: db.db, actor: { type: 'system', name: 'seed' } }, {
      kind: 'vrrp.transition', siteId: d.siteId, clusterId: d.clusterId, directorId: d.id, instance: i % 2 ? 'VI_2' : 'VI_1', actor: `agent:${d.name}`,
      agentTime: new Date(now - (o.events - i) * 1000), details: { from: 'backup', to: 'master', reason: 'master_down_timer', priority: 200 },
      source: `director:${d.id}`, sourceSeq: i + 1,
    });
  }
  return directorIds.length;
}
