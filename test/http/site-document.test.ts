/**
 * PUT /v1/sites/{site}/specs on both drivers: many clusters' specs as one validated change,
 * checked against the site as it will be afterwards, all or nothing, conditional per cluster.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drivers } from '../support/db.ts';
import { tableCounts, testApp, type TestApp } from '../support/app.ts';

const specFor = (names: string[], vrid: number, vip: string, segment?: string) => ({
  version: 1,
  directors: Object.fromEntries(names.map((n) => [n, {}])),
  vrrpInstances: { VI_1: { interface: 'eth0', virtualRouterId: vrid, ...(segment ? { segment } : {}), virtualIpAddresses: [`${vip}/24`], directors: Object.fromEntries(names.map((n, i) => [n, { priority: 200 - i }])) } },
});

describe.each(drivers)('site documents on %s', (driver) => {
  let t: TestApp;
  const C = 30;
  const ids: Record<string, string> = {};
  const names = (c: number) => [`c${c}a`, `c${c}b`];

  beforeAll(async () => {
    t = await testApp(driver);
    await t.must('POST', '/v1/sites', { name: 'alpha' });
    for (let c = 0; c < C; c++) {
      ids[`c${c}`] = (await t.must('POST', '/v1/sites/alpha/clusters', { name: `c${c}`, segment: 'lan' })).id;
      for (const n of names(c)) await t.must('POST', `/v1/clusters/${ids[`c${c}`]}/directors`, { name: n });
    }
  }, 120_000);
  afterAll(async () => t?.close());

  const doc = (vridOf: (c: number) => number, vipOf = (c: number) => `10.1.${c}.1`) => ({ clusters: Object.fromEntries(Array.from({ length: C }, (_, c) => [`c${c}`, { spec: specFor(names(c), vridOf(c), vipOf(c)) }])), message: 'site rollout' });

  it('applies every cluster\'s spec in one request, each a new revision, audited and nudged', async () => {
    const r = await t.call('PUT', '/v1/sites/alpha/specs', { body: doc((c) => c + 1) });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(Object.values(r.body.clusters).every((x) => (x as { revision: number; unchanged: boolean }).revision === 1 && !(x as { unchanged: boolean }).unchanged)).toBe(true);
    expect((await t.call('GET', `/v1/clusters/${ids.c7}/spec`)).body.spec.vrrpInstances.VI_1.virtualRouterId).toBe(8);
    const events = (await t.call('GET', '/v1/events?kind=spec.revision_created&limit=1000')).body.items;
    expect(events).toHaveLength(C);
    // The same document again changes nothing; one cluster changed gets one revision.
    const again = await t.call('PUT', '/v1/sites/alpha/specs', { body: doc((c) => c + 1) });
    expect(Object.values(again.body.clusters).every((x) => (x as { unchanged: boolean }).unchanged)).toBe(true);
    const one = await t.call('PUT', '/v1/sites/alpha/specs', { body: doc((c) => (c === 3 ? 200 : c + 1)) });
    expect(one.body.clusters.c3).toMatchObject({ revision: 2, unchanged: false });
    expect(one.body.clusters.c4).toMatchObject({ revision: 1, unchanged: true });
  });

  it('checks the site as it will be: a swap of VRIDs between two clusters is fine, a clash anywhere refuses everything', async () => {
    // c0 and c1 exchange VRIDs in one document: each clashes with the other's CURRENT spec only.
    const swap = await t.call('PUT', '/v1/sites/alpha/specs', { body: doc((c) => (c === 0 ? 2 : c === 1 ? 1 : c === 3 ? 200 : c + 1)) });
    expect(swap.status, JSON.stringify(swap.body)).toBe(200);
    const before = await tableCounts(t.db);
    const clash = await t.call('PUT', '/v1/sites/alpha/specs', { body: doc((c) => (c === 10 || c === 20 ? 77 : c === 3 ? 200 : c === 0 ? 2 : c === 1 ? 1 : c + 1), (c) => (c === 5 ? '10.1.6.1' : `10.1.${c}.1`)) });
    expect(clash.status).toBe(400);
    const paths = clash.body.error.details.issues.map((i: { path: (string | number)[]; code: string }) => `${i.code} ${i.path.join('.')}`);
    expect(paths).toContain('FLEET_VRID_CONFLICT_ON_SEGMENT body.clusters.c20.spec.vrrpInstances.VI_1.virtualRouterId');
    expect(paths).toContain('FLEET_VIP_IN_TWO_CLUSTERS body.clusters.c5.spec.vrrpInstances.VI_1.virtualIpAddresses.0.address');
    expect(await tableCounts(t.db)).toEqual(before);
  });

  it('is conditional per cluster (ifRevision) and names unknown clusters and directors', async () => {
    const current = (await t.call('GET', `/v1/clusters/${ids.c2}/spec`)).body.number;
    const stale = await t.call('PUT', '/v1/sites/alpha/specs', { body: { clusters: { c2: { spec: specFor(names(2), 150, '10.1.2.1'), ifRevision: current + 5 } } } });
    expect(stale.status).toBe(409);
    const fresh = await t.call('PUT', '/v1/sites/alpha/specs', { body: { clusters: { c2: { spec: specFor(names(2), 150, '10.1.2.1'), ifRevision: current } } } });
    expect(fresh.status).toBe(200);
    const bad = await t.call('PUT', '/v1/sites/alpha/specs', { body: { clusters: { nope: { spec: specFor(['x'], 9, '10.9.9.9') }, c4: { spec: specFor(['ghost'], 5, '10.1.4.1') } } } });
    expect(bad.status).toBe(400);
    const codes = bad.body.error.details.issues.map((i: { code: string; path: string[] }) => `${i.code} ${i.path.join('.')}`);
    expect(codes).toEqual(expect.arrayContaining(['SPEC_UNKNOWN_CLUSTER body.clusters.nope', 'SPEC_UNKNOWN_DIRECTOR body.clusters.c4.spec.directors.ghost']));
  });
});
