/**
 * The control plane's resources used the way an operator would, on both drivers: a site, a
 * cluster with directors, spec revisions (immutable, diffable, rollback = a new revision),
 * tokens whose secret is shown once, enrollment tokens, the audit log and the fleet view.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleClusterSpecInput } from '../../schema/src/spec/example.ts';
import { parseClusterSpec } from '../../schema/src/spec/parse.ts';
import { testApp, type TestApp } from '../support/app.ts';
import { drivers } from '../support/db.ts';

const withVrid = (vrid: number) => ({ ...exampleClusterSpecInput, vrrpInstances: { VI_WEB: { ...exampleClusterSpecInput.vrrpInstances.VI_WEB, virtualRouterId: vrid } } });

describe.each(drivers)('control plane happy paths on %s', (driver) => {
  let t: TestApp;
  let clusterId: string;
  const started = new Date(Date.now() - 1000).toISOString();

  beforeAll(async () => {
    t = await testApp(driver);
  });
  afterAll(async () => t?.close());

  it('ops endpoints: healthz, readyz (migrated), metrics, openapi', async () => {
    expect((await t.call('GET', '/healthz', { token: null })).body).toEqual({ status: 'ok' });
    const ready = await t.call('GET', '/readyz', { token: null });
    expect(ready.status).toBe(200);
    expect(ready.body.database).toMatchObject({ reachable: true, migrated: true });
    const metrics = await t.call('GET', '/metrics', { token: null });
    expect(metrics.status).toBe(200);
    expect(metrics.body).toMatch(/^# HELP /m);
    expect(metrics.body).toMatch(/vigil_http_requests_total|http_request/);
    // The loop's lateness beside prom-client's raw tick interval (control-plane/src/loop-delay.ts).
    expect(metrics.body).toMatch(/^# HELP vigil_cp_event_loop_delay_seconds /m);
    expect(metrics.body).toMatch(/^# HELP vigil_cp_nodejs_eventloop_lag_p99_seconds /m);
    // And every tick's lateness, cumulative, with a bucket at the 50 ms bound.
    expect(metrics.body).toMatch(/^vigil_cp_event_loop_lateness_seconds_bucket\{le="0.05"\} \d+$/m);
    const doc = await t.call('GET', '/openapi.json', { token: null });
    expect(doc.body.openapi).toBe('3.1.0');
    // Generated from the route schemas: the site body's name rule is in it.
    expect(JSON.stringify(doc.body.paths['/v1/sites'].post)).toContain('requestBody');
    expect(doc.body.components.schemas.Error).toBeDefined();
    // PUT spec's body documents the spec with a whole example that the spec schema accepts.
    const spec = doc.body.paths['/v1/clusters/{id}/spec'].put.requestBody.content['application/json'].schema.properties.spec;
    expect(spec).toMatchObject({ type: 'object' });
    expect(spec.description).toMatch(/vigil import/);
    expect(parseClusterSpec(spec.example).ok).toBe(true);
  });

  it('creates a site, a cluster and its directors', async () => {
    expect((await t.call('POST', '/v1/sites', { body: { name: 'par1', description: 'Paris PoP' } })).status).toBe(201);
    const c = await t.call('POST', '/v1/sites/par1/clusters', { body: { name: 'web', segment: 'vlan10' } });
    expect(c.status).toBe(201);
    expect(c.body).toMatchObject({ name: 'web', segment: 'vlan10', currentRevision: null });
    clusterId = c.body.id;
    for (const name of ['lb1', 'lb2']) expect((await t.call('POST', `/v1/clusters/${clusterId}/directors`, { body: { name, labels: { rack: 'r1' } } })).status).toBe(201);
    const ds = await t.call('GET', `/v1/clusters/${clusterId}/directors`);
    expect(ds.body.items.map((d: { name: string }) => d.name)).toEqual(['lb1', 'lb2']);
    expect((await t.call('GET', `/v1/clusters/${clusterId}/directors/lb2`)).body).toMatchObject({ name: 'lb2', labels: { rack: 'r1' }, enrolled: false });
    expect((await t.call('GET', '/v1/sites/par1/clusters')).body.items).toHaveLength(1);
    expect((await t.call('PATCH', `/v1/clusters/${clusterId}`, { body: { description: 'front web' } })).body.description).toBe('front web');
  });

  it('each spec write is a new immutable revision; an identical write creates none', async () => {
    const r1 = await t.call('PUT', `/v1/clusters/${clusterId}/spec`, { body: { spec: withVrid(51), message: 'first' } });
    expect(r1.status).toBe(200);
    expect(r1.body).toMatchObject({ unchanged: false, revision: { number: 1, message: 'first', rollbackOf: null } });
    const r2 = await t.call('PUT', `/v1/clusters/${clusterId}/spec`, { body: { spec: withVrid(52), message: 'move vrid' } });
    expect(r2.body.revision.number).toBe(2);
    const same = await t.call('PUT', `/v1/clusters/${clusterId}/spec`, { body: { spec: withVrid(52) } });
    expect(same.body).toMatchObject({ unchanged: true, revision: { number: 2 } });
    const current = await t.call('GET', `/v1/clusters/${clusterId}/spec`);
    expect(current.body.number).toBe(2);
    expect(current.body.spec.vrrpInstances.VI_WEB.virtualRouterId).toBe(52);
    expect(current.headers.get('etag')).toBe(`"${current.body.specHash}"`);
    // Defaults are applied in the stored form (the form agents run).
    expect(current.body.spec.vrrpInstances.VI_WEB.nopreempt).toBe(false);
    const list = await t.call('GET', `/v1/clusters/${clusterId}/revisions`);
    expect(list.body.items.map((r: { number: number }) => r.number)).toEqual([2, 1]);
    const old = await t.call('GET', `/v1/clusters/${clusterId}/revisions/1`);
    expect(old.body.spec.vrrpInstances.VI_WEB.virtualRouterId).toBe(51);
  });

  it('diffs two revisions by path', async () => {
    const d = await t.call('GET', `/v1/clusters/${clusterId}/revisions/diff?from=1&to=2`);
    expect(d.status).toBe(200);
    expect(JSON.stringify(d.body)).toContain('virtualRouterId');
    expect(JSON.stringify(d.body)).toContain('51');
    expect(JSON.stringify(d.body)).toContain('52');
  });

  it('rollback re-applies an old revision as a new one', async () => {
    const rb = await t.call('POST', `/v1/clusters/${clusterId}/rollback`, { body: { revision: 1, message: 'back' } });
    expect(rb.status).toBe(200);
    expect(rb.body.revision).toMatchObject({ number: 3, rollbackOf: 1 });
    const current = await t.call('GET', `/v1/clusters/${clusterId}/spec`);
    const r1 = await t.call('GET', `/v1/clusters/${clusterId}/revisions/1`);
    expect(current.body.spec).toEqual(r1.body.spec);
    expect(current.body.specHash).toBe(r1.body.specHash);
    expect((await t.call('GET', `/v1/clusters/${clusterId}`)).body.currentRevision).toBe(3);
  });

  it('an API token\'s secret is returned once and only its hash is stored', async () => {
    const created = await t.call('POST', '/v1/tokens', { body: { name: 'ci', role: 'operator', site: 'par1', expiresInSeconds: 3600 } });
    expect(created.status).toBe(201);
    const { secret, token } = created.body;
    expect(secret).toMatch(/^vgl_/);
    expect(token).toMatchObject({ name: 'ci', role: 'operator', site: 'par1' });
    expect(JSON.stringify(token)).not.toContain(secret);
    const listed = await t.call('GET', '/v1/tokens');
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    expect(JSON.stringify(listed.body)).not.toMatch(/secretHash|secret_hash/);
    const rows = (await t.db.db.execute(sql`select * from api_tokens where id = ${token.id}`)) as unknown as { rows?: unknown[] } & unknown[];
    const row = JSON.stringify(rows.rows ?? rows);
    expect(row).not.toContain(secret);
    // The token works for what its role and site allow.
    expect((await t.call('GET', '/v1/sites/par1/clusters', { token: secret })).status).toBe(200);
    expect((await t.call('DELETE', `/v1/tokens/${token.id}`)).status).toBe(200);
    expect((await t.call('GET', '/v1/sites/par1/clusters', { token: secret })).status).toBe(401);
  });

  it('enrollment tokens: created with uses and expiry, listed without secrets, revoked', async () => {
    const e = await t.call('POST', '/v1/sites/par1/enrollment-tokens', { body: { maxUses: 3, expiresInSeconds: 600, description: 'rack r1' } });
    expect(e.status).toBe(201);
    expect(e.body.secret).toMatch(/^vge_/);
    expect(e.body.token).toMatchObject({ maxUses: 3, uses: 0 });
    const list = await t.call('GET', '/v1/sites/par1/enrollment-tokens');
    expect(list.body.items).toHaveLength(1);
    expect(JSON.stringify(list.body)).not.toContain(e.body.secret);
    const revoked = await t.call('DELETE', `/v1/sites/par1/enrollment-tokens/${e.body.token.id}`);
    expect(revoked.body.revokedAt).toBeTruthy();
  });

  it('every admin write is in the audit log with its actor, filterable, and the chain verifies', async () => {
    const all = await t.call('GET', `/v1/events?since=${encodeURIComponent(started)}&limit=1000`);
    const kinds = all.body.items.map((e: { kind: string }) => e.kind);
    for (const k of ['site.created', 'cluster.created', 'cluster.updated', 'director.created', 'spec.revision_created', 'spec.rolled_back', 'token.created', 'token.revoked', 'enrollment_token.created', 'enrollment_token.revoked']) {
      expect(kinds, k).toContain(k);
    }
    for (const e of all.body.items.filter((x: { kind: string; actor: string }) => x.actor !== 'system:bootstrap')) {
      expect(e.actor).toBe('token:bootstrap-admin');
    }
    const bySite = await t.call('GET', '/v1/events?site=par1&kind=director.created');
    expect(bySite.body.items).toHaveLength(2);
    const byCluster = await t.call('GET', `/v1/events?cluster=${clusterId}&kind=spec.revision_created`);
    expect(byCluster.body.items).toHaveLength(2);
    const future = await t.call('GET', `/v1/events?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`);
    expect(future.body.items).toEqual([]);
    const page = await t.call('GET', '/v1/events?limit=3');
    const next = await t.call('GET', `/v1/events?limit=3&cursor=${page.body.nextCursor}`);
    expect(next.body.items[0].id).toBeGreaterThan(page.body.items[2].id);
    const v = await t.call('GET', '/v1/events/verify');
    expect(v.body).toMatchObject({ ok: true });
    expect(v.body.checked).toBeGreaterThanOrEqual(all.body.items.length);
  });

  it('the fleet view has every site, cluster and director with desired revision and drift', async () => {
    const f = await t.call('GET', '/v1/fleet');
    const site = f.body.sites.find((s: { name: string }) => s.name === 'par1');
    const cluster = site.clusters[0];
    expect(cluster).toMatchObject({ name: 'web', desiredRevision: 3 });
    expect(cluster.directors.map((d: { name: string }) => d.name)).toEqual(['lb1', 'lb2']);
    for (const d of cluster.directors) expect(d).toMatchObject({ enrolled: false, lastSeenAt: null, appliedRevision: null, instances: [] });
  });

  it('deletes what is empty: a director, then (after no spec history) nothing more', async () => {
    expect((await t.call('POST', `/v1/clusters/${clusterId}/directors`, { body: { name: 'lb3' } })).status).toBe(201);
    expect((await t.call('DELETE', `/v1/clusters/${clusterId}/directors/lb3`)).status).toBe(200);
    expect((await t.call('GET', `/v1/clusters/${clusterId}/directors/lb3`)).status).toBe(404);
    expect((await t.call('POST', '/v1/sites', { body: { name: 'empty' } })).status).toBe(201);
    // A token of the site, just used (so this replica keeps it for a second): it goes with the site.
    const scoped = (await t.call('POST', '/v1/tokens', { body: { name: 'empty-viewer', role: 'viewer', site: 'empty' } })).body.secret;
    expect((await t.call('GET', '/v1/sites/empty/clusters', { token: scoped })).status).toBe(200);
    expect((await t.call('DELETE', '/v1/sites/empty')).status).toBe(200);
    expect((await t.call('GET', '/v1/sites', { token: scoped })).status).toBe(401);
  });
});
