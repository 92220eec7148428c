/**
 * GET /v1/fleet/metrics: the fleet as Prometheus gauges, behind the API's authorization (names of
 * sites, clusters and directors are fleet data), scoped like every other read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../support/app.ts';
import { drivers } from '../support/db.ts';

const spec = (vrid: number) => ({
  version: 1, directors: { lb1: {}, lb2: {} },
  vrrpInstances: { VI_1: { interface: 'eth0', virtualRouterId: vrid, priority: 150, virtualIpAddresses: ['192.0.2.10/24'], directors: { lb2: { priority: 100 } } } },
});

describe.each(drivers)('fleet metrics on %s', (driver) => {
  let t: TestApp;
  const creds: Record<string, string> = {};
  const value = (text: string, series: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  };

  beforeAll(async () => {
    t = await testApp(driver);
    for (const [site, vrid] of [['dc1', 51], ['dc2', 61]] as const) {
      await t.must('POST', '/v1/sites', { name: site });
      const id = (await t.must('POST', `/v1/sites/${site}/clusters`, { name: 'web' })).id;
      for (const d of ['lb1', 'lb2']) await t.must('POST', `/v1/clusters/${id}/directors`, { name: d });
      await t.must('PUT', `/v1/clusters/${id}/spec`, { spec: spec(vrid) });
    }
    const enroll = (await t.must('POST', '/v1/sites/dc1/enrollment-tokens', { maxUses: 2 })).secret;
    for (const d of ['lb1', 'lb2']) creds[d] = (await t.must('POST', '/v1/agent/enroll', { cluster: 'web', director: d }, enroll)).credential;
  });
  afterAll(async () => t?.close());

  it('needs a token; the text is Prometheus exposition with every director, its freshness, drift and the masters', async () => {
    expect((await t.call('GET', '/v1/fleet/metrics', { token: null })).status).toBe(401);
    // Both dc1 directors claim MASTER (split brain); lb1 runs revision 1, lb2 an old one.
    await t.must('POST', '/v1/agent/reports', { state: { instances: [{ name: 'VI_1', state: 'MASTER' }] }, appliedRevision: 1 }, creds.lb1);
    await t.must('POST', '/v1/agent/reports', { state: { instances: [{ name: 'VI_1', state: 'MASTER' }] } }, creds.lb2);
    const r = await t.raw('/v1/fleet/metrics');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/plain');
    const text = await r.text();
    expect(value(text, 'vigil_fleet_director_up{site="dc1",cluster="web",director="lb1"}')).toBe(1);
    expect(value(text, 'vigil_fleet_director_up{site="dc2",cluster="web",director="lb1"}')).toBe(0);
    expect(value(text, 'vigil_fleet_director_drift{site="dc1",cluster="web",director="lb1"}')).toBe(0);
    expect(value(text, 'vigil_fleet_director_drift{site="dc1",cluster="web",director="lb2"}')).toBe(1);
    expect(value(text, 'vigil_fleet_director_enrolled{site="dc2",cluster="web",director="lb2"}')).toBe(0);
    expect(value(text, 'vigil_fleet_instance_masters{site="dc1",cluster="web",vrrp_instance="VI_1"}')).toBe(2);
    expect(value(text, 'vigil_fleet_cluster_desired_revision{site="dc1",cluster="web"}')).toBe(1);
    expect(value(text, 'vigil_fleet_director_report_age_seconds{site="dc1",cluster="web",director="lb1"}')).toBeLessThan(30);
    expect(text).not.toContain('report_age_seconds{site="dc2"');
    expect(text).toContain('# TYPE vigil_fleet_director_up gauge');
  });

  it('a site-scoped token sees its site only; an agent credential none', async () => {
    const viewer = (await t.must('POST', '/v1/tokens', { name: 'dc2-viewer', role: 'viewer', site: 'dc2' })).secret;
    const r = await t.call('GET', '/v1/fleet/metrics', { token: viewer });
    expect(r.status).toBe(200);
    expect(String(r.body)).toContain('site="dc2"');
    expect(String(r.body)).not.toContain('site="dc1"');
    expect((await t.call('GET', '/v1/fleet/metrics', { token: creds.lb1 })).status).toBe(403);
  });
});
