/**
 * Every /v1 route × every kind of caller, with the status each cell must get:
 *
 *   none / expired / revoked          401 (not authenticated)
 *   role below the route's minimum    403 (authenticated, not allowed)
 *   admin scoped to another site      404 on the other site's resources (as if they did not
 *                                     exist: a 403 would say they do), 403 on fleet-wide
 *                                     actions, 200 on lists (filtered to its own site)
 *   enough role                       the route's success status
 *
 * Each cell prepares its own target (a fresh site, cluster, director, token…) with the
 * bootstrap admin, so no cell depends on another's outcome.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleClusterSpecInput } from '../../schema/src/spec/example.ts';
import { drivers } from '../support/db.ts';
import { testApp, type TestApp } from '../support/app.ts';

type Caller = 'none' | 'viewer' | 'operator' | 'admin' | 'otherSite' | 'expired' | 'revoked';
const CALLERS: Caller[] = ['none', 'viewer', 'operator', 'admin', 'otherSite', 'expired', 'revoked'];
type Role = 'viewer' | 'operator' | 'admin';
/** site: bound to site "alpha"; fleet: needs an unscoped token; list: scoped tokens see a filtered list. */
type Scope = 'site' | 'fleet' | 'list';

interface RouteCase {
  role: Role;
  scope: Scope;
  ok: number;
  /** What a token scoped to another site gets when its role suffices (default by scope). */
  otherSite?: number;
  prepare: (w: World) => Promise<{ path: string; body?: unknown }>;
}

interface World {
  t: TestApp;
  clusterId: string;
  uniq: () => string;
}

const rank: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };
const callerRole: Partial<Record<Caller, Role>> = { viewer: 'viewer', operator: 'operator', admin: 'admin', otherSite: 'admin' };

function expected(route: RouteCase, caller: Caller): number {
  const role = callerRole[caller];
  if (!role) return 401;
  if (rank[role] < rank[route.role]) return 403;
  if (caller === 'otherSite') return route.otherSite ?? (route.scope === 'list' ? route.ok : route.scope === 'site' ? 404 : 403);
  return route.ok;
}

async function must(t: TestApp, method: string, path: string, body?: unknown) {
  const r = await t.call(method, path, { body });
  if (r.status >= 300) throw new Error(`setup ${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

const spec = (vrid: number) => ({ ...exampleClusterSpecInput, vrrpInstances: { VI_WEB: { ...exampleClusterSpecInput.vrrpInstances.VI_WEB, virtualRouterId: vrid } } });

const ROUTES: Record<string, RouteCase> = {
  'GET /events/export': { role: 'viewer', scope: 'list', ok: 200, prepare: async () => ({ path: '/v1/events/export?format=csv' }) },
  'GET /events/stream': { role: 'viewer', scope: 'list', ok: 200, prepare: async () => ({ path: '/v1/events/stream?maxSeconds=1' }) },
  'PUT /clusters/{id}/directors/{name}/maintenance': { role: 'operator', scope: 'site', ok: 200, prepare: async (w) => ({ path: `/v1/clusters/${w.clusterId}/directors/lb1/maintenance`, body: { on: false } }) },
  'PUT /clusters/{id}/instances/{instance}/master': { role: 'operator', scope: 'site', ok: 200, prepare: async (w) => ({ path: `/v1/clusters/${w.clusterId}/instances/VI_WEB/master`, body: { director: null } }) },
  'GET /failovers': { role: 'viewer', scope: 'list', ok: 200, prepare: async () => ({ path: '/v1/failovers' }) },
  'GET /sites': { role: 'viewer', scope: 'list', ok: 200, prepare: async () => ({ path: '/v1/sites' }) },
  'POST /sites': { role: 'admin', scope: 'fleet', ok: 201, prepare: async (w) => ({ path: '/v1/sites', body: { name: w.uniq() } }) },
  'GET /sites/{site}': { role: 'viewer', scope: 'site', ok: 200, prepare: async () => ({ path: '/v1/sites/alpha' }) },
  'DELETE /sites/{site}': {
    role: 'admin', scope: 'fleet', ok: 200,
    prepare: async (w) => ({ path: `/v1/sites/${(await must(w.t, 'POST', '/v1/sites', { name: w.uniq() })).name}` }),
  },
  'GET /sites/{site}/clusters': { role: 'viewer', scope: 'site', ok: 200, prepare: async () => ({ path: '/v1/sites/alpha/clusters' }) },
  'POST /sites/{site}/clusters': { role: 'operator', scope: 'site', ok: 201, prepare: async (w) => ({ path: '/v1/sites/alpha/clusters', body: { name: w.uniq() } }) },
  'GET /clusters/{id}': { role: 'viewer', scope: 'site', ok: 200, prepare: async (w) => ({ path: `/v1/clusters/${w.clusterId}` }) },
  'PATCH /clusters/{id}': { role: 'operator', scope: 'site', ok: 200, prepare: async (w) => ({ path: `/v1/clusters/${w.clusterId}`, body: { description: w.uniq() } }) },
  'DELETE /clusters/{id}': {
    role: 'operator', scope: 'site', ok: 200,
    prepare: async (w) => ({ path: `/v1/clusters/${(await must(w.t, 'POST', '/v1/sites/alpha/clusters', { name: w.uniq() })).id}` }),
  },
  'GET /clusters/{id}/directors': { role: 'viewer', scope: 'site', ok: 200, prepare: async (w) => ({ path: `/v1/clusters/${w.clusterId}/directors` }) },
  'POST /clusters/{id}/directors': { role: 'operator', scope: 'site', ok: 201, prepare: async (w) => ({ path: `/v1/clusters/${w.clusterId}/directors`, body: { name: w.uniq() } }) },
  'GET /clusters/{id}/directors/{name}': { role: 'viewer', scope: 'site', ok: 200, prepare: async (w) => ({ path: `/v1/clusters/${w.clusterId}/directors/lb1` }) },
  'DELETE /clusters/{id}/directors/{name}': {
    role: 'operator', scope: 'site', ok: 200,
    prepare: async (w) => ({ path: `/v1/clusters/${w.clusterId}/directors/${(await must(w.t, 'POST', `/v1/clusters/${w.clusterId}/directors`, { name: w.uniq() })).name}` }),
  },
  'GET /clusters/{id}/spec': { role: 'viewer', scope: 'site', ok: 200, prepare: async (w) => ({ path: `/v1/clusters/${w.clusterId}/spec` }) },
  'PUT /clusters/{id}/spec': { role: 'operator', scope: 'site', ok: 200, prepare: async (w) => ({ path: `/v1/clusters/${w.clusterId}/spec`, body: { spec: spec(60 + (counter % 100)), message: w.uniq() } }) },
  'PUT /sites/{site}/specs': { role: 'operator', scope: 'site', ok: 200, prepare: async () => ({ path: '/v1/sites/alpha/specs', body: { clusters: { web: { spec: spec(52) } } } }) },
  'GET /clusters/{id}/revisions': { role: 'viewer', scope: 'site', ok: 200, prepare: async (w) => ({ path: `/v1/clusters/${w.clusterId}/revisions` }) },
  'GET /clusters/{id}/revisions/diff': { role: 'viewer', scope: 'site', ok: 200, prepare: async (w) => ({ path: `/v1/clusters/${w.clusterId}/revisions/diff?from=1&to=2` }) },
  'GET /clusters/{id}/revisions/{n}': { role: 'viewer', scope: 'site', ok: 200, prepare: async (w) => ({ path: `/v1/clusters/${w.clusterId}/revisions/1` }) },
  'POST /clusters/{id}/rollback': { role: 'operator', scope: 'site', ok: 200, prepare: async (w) => ({ path: `/v1/clusters/${w.clusterId}/rollback`, body: { revision: 1 } }) },
  'GET /tokens': { role: 'admin', scope: 'list', ok: 200, prepare: async () => ({ path: '/v1/tokens' }) },
  'POST /tokens': { role: 'admin', scope: 'fleet', ok: 201, prepare: async (w) => ({ path: '/v1/tokens', body: { name: w.uniq(), role: 'viewer' } }) },
  'DELETE /tokens/{tokenId}': {
    // A fleet-wide token does not exist for a token scoped elsewhere: 404, not a hint that it does.
    role: 'admin', scope: 'fleet', ok: 200, otherSite: 404,
    prepare: async (w) => ({ path: `/v1/tokens/${(await must(w.t, 'POST', '/v1/tokens', { name: w.uniq(), role: 'viewer' })).token.id}` }),
  },
  'GET /sites/{site}/enrollment-tokens': { role: 'operator', scope: 'site', ok: 200, prepare: async () => ({ path: '/v1/sites/alpha/enrollment-tokens' }) },
  'POST /sites/{site}/enrollment-tokens': { role: 'operator', scope: 'site', ok: 201, prepare: async () => ({ path: '/v1/sites/alpha/enrollment-tokens', body: { maxUses: 2 } }) },
  'DELETE /sites/{site}/enrollment-tokens/{tokenId}': {
    role: 'operator', scope: 'site', ok: 200,
    prepare: async (w) => ({ path: `/v1/sites/alpha/enrollment-tokens/${(await must(w.t, 'POST', '/v1/sites/alpha/enrollment-tokens', {})).token.id}` }),
  },
  'GET /events': { role: 'viewer', scope: 'list', ok: 200, prepare: async () => ({ path: '/v1/events' }) },
  'GET /events/verify': { role: 'viewer', scope: 'fleet', ok: 200, prepare: async () => ({ path: '/v1/events/verify' }) },
  'GET /events/checkpoints': { role: 'viewer', scope: 'fleet', ok: 200, prepare: async () => ({ path: '/v1/events/checkpoints' }) },
  'POST /events/checkpoints': { role: 'admin', scope: 'fleet', ok: 200, prepare: async () => ({ path: '/v1/events/checkpoints' }) },
  'DELETE /clusters/{id}/directors/{name}/credential': {
    role: 'operator', scope: 'site', ok: 200,
    prepare: async (w) => ({ path: `/v1/clusters/${w.clusterId}/directors/${(await must(w.t, 'POST', `/v1/clusters/${w.clusterId}/directors`, { name: w.uniq() })).name}/credential` }),
  },
  'GET /fleet': { role: 'viewer', scope: 'list', ok: 200, prepare: async () => ({ path: '/v1/fleet' }) },
  'GET /fleet/map': { role: 'viewer', scope: 'list', ok: 200, prepare: async () => ({ path: '/v1/fleet/map' }) },
  'GET /fleet/metrics': { role: 'viewer', scope: 'list', ok: 200, prepare: async () => ({ path: '/v1/fleet/metrics' }) },
  'GET /timeline': { role: 'viewer', scope: 'list', ok: 200, prepare: async () => ({ path: '/v1/timeline' }) },
  'GET /clusters/{id}/status': { role: 'viewer', scope: 'site', ok: 200, prepare: async (w) => ({ path: `/v1/clusters/${w.clusterId}/status` }) },
  // The session routes are about the caller itself: any API token, wherever it is scoped.
  'GET /session': { role: 'viewer', scope: 'list', ok: 200, prepare: async () => ({ path: '/v1/session' }) },
  'POST /session': { role: 'viewer', scope: 'list', ok: 200, prepare: async () => ({ path: '/v1/session' }) },
  'DELETE /session': { role: 'viewer', scope: 'list', ok: 200, prepare: async () => ({ path: '/v1/session' }) },
};
let counter = 0;

const cells = Object.entries(ROUTES).flatMap(([name, r]) => CALLERS.map((caller) => ({ route: name, caller, want: expected(r, caller) })));

describe.each(drivers)('route × caller table on %s', (driver) => {
  let w: World;
  const tokens = {} as Record<Caller, string | null>;

  beforeAll(async () => {
    const t = await testApp(driver);
    await must(t, 'POST', '/v1/sites', { name: 'alpha' });
    await must(t, 'POST', '/v1/sites', { name: 'beta' });
    const cluster = await must(t, 'POST', '/v1/sites/alpha/clusters', { name: 'web' });
    for (const d of ['lb1', 'lb2']) await must(t, 'POST', `/v1/clusters/${cluster.id}/directors`, { name: d });
    await must(t, 'PUT', `/v1/clusters/${cluster.id}/spec`, { spec: spec(51) });
    await must(t, 'PUT', `/v1/clusters/${cluster.id}/spec`, { spec: spec(52) });
    const mint = async (body: object) => (await must(t, 'POST', '/v1/tokens', body)) as { token: { id: string }; secret: string };
    tokens.none = null;
    for (const role of ['viewer', 'operator', 'admin'] as const) tokens[role] = (await mint({ name: `t-${role}`, role })).secret;
    tokens.otherSite = (await mint({ name: 't-beta-admin', role: 'admin', site: 'beta' })).secret;
    const expired = await mint({ name: 't-expired', role: 'admin', expiresInSeconds: 60 });
    await t.db.db.execute(sql`update api_tokens set expires_at = now() - interval '1 second' where id = ${expired.token.id}`);
    tokens.expired = expired.secret;
    const revoked = await mint({ name: 't-revoked', role: 'admin' });
    await must(t, 'DELETE', `/v1/tokens/${revoked.token.id}`);
    tokens.revoked = revoked.secret;
    w = { t, clusterId: cluster.id, uniq: () => `x${++counter}` };
  });
  afterAll(async () => w?.t.close());

  it('the table covers every /v1 operation in the OpenAPI description', async () => {
    const doc = (await w.t.call('GET', '/openapi.json', { token: null })).body as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths)
      // The agent routes take agent credentials, not API tokens: agent.api.test.ts covers them.
      .filter(([p]) => p.startsWith('/v1/') && !p.startsWith('/v1/agent/'))
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p.slice(3)}`))
      .sort();
    expect(Object.keys(ROUTES).sort()).toEqual(documented);
  });

  it.each(cells)('$route as $caller → $want', async ({ route, caller, want }) => {
    const { path, body } = await ROUTES[route]!.prepare(w);
    const method = route.split(' ')[0]!;
    const r = await w.t.call(method, path, { token: tokens[caller], body });
    expect(r.status, JSON.stringify(r.body)).toBe(want);
    if (want >= 400) {
      expect(r.body.error.code).toBe({ 401: 'UNAUTHORIZED', 403: 'FORBIDDEN', 404: 'NOT_FOUND' }[want]);
      expect(r.body.error.requestId).toBe(r.headers.get('x-request-id'));
    }
    if (caller === 'otherSite' && want === 200 && route.startsWith('GET')) {
      // Lists seen through a token scoped to "beta" contain nothing of "alpha".
      expect(JSON.stringify(r.body)).not.toContain('"alpha"');
    }
  });
});
