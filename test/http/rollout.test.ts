/**
 * Coordinated rollout through the agent API, on both drivers: the master of a changed instance
 * is held on its current revision until its backup has applied the new one (and is woken as
 * soon as it has); a change peers must agree on carries one `applyAt` for the whole cluster.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drivers } from '../support/db.ts';
import { testApp, type TestApp } from '../support/app.ts';

const spec = (over: { advertIntervalMs?: number; notify?: string } = {}) => ({
  version: 1,
  directors: { lb1: {}, lb2: {} },
  vrrpInstances: {
    VI_1: {
      interface: 'eth0', virtualRouterId: 61, advertIntervalMs: over.advertIntervalMs ?? 1000, virtualIpAddresses: ['192.0.2.100/24'],
      ...(over.notify ? { notify: { master: over.notify } } : {}),
      directors: { lb1: { priority: 150 }, lb2: { priority: 100 } },
    },
  },
});

describe.each(drivers)('coordinated rollout on %s', (driver) => {
  let t: TestApp;
  let clusterId = '';
  const cred: Record<string, string> = {};
  const must = async (method: string, path: string, body?: unknown, token?: string, headers?: Record<string, string>) => {
    const r = await t.call(method, path, { body, ...(token ? { token } : {}), ...(headers ? { headers } : {}) });
    if (r.status >= 300 && r.status !== 304) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r;
  };
  const report = (d: string, state: string, appliedRevision: number) => must('POST', '/v1/agent/reports', { state: { instances: [{ name: 'VI_1', state }] }, appliedRevision, events: [] }, cred[d]);

  beforeAll(async () => {
    t = await testApp(driver);
    await must('POST', '/v1/sites', { name: 'alpha' });
    clusterId = (await must('POST', '/v1/sites/alpha/clusters', { name: 'web' })).body.id;
    for (const name of ['lb1', 'lb2']) await must('POST', `/v1/clusters/${clusterId}/directors`, { name });
    await must('PUT', `/v1/clusters/${clusterId}/spec`, { spec: spec() });
    const enroll = (await must('POST', '/v1/sites/alpha/enrollment-tokens', { maxUses: 2 })).body.secret;
    for (const d of ['lb1', 'lb2']) cred[d] = (await must('POST', '/v1/agent/enroll', { cluster: 'web', director: d }, enroll)).body.credential;
    await report('lb1', 'MASTER', 1);
    await report('lb2', 'BACKUP', 1);
  });
  afterAll(async () => t?.close());

  it('backups first, master last: the master is held until its backup runs the new revision, then woken', async () => {
    await must('PUT', `/v1/clusters/${clusterId}/spec`, { spec: spec({ notify: '/usr/local/bin/became-master' }) });
    const master = await must('GET', '/v1/agent/config', undefined, cred.lb1);
    expect(master.body).toMatchObject({ revision: 1, held: { revision: 2, waitingFor: ['lb2'] } });
    expect(master.headers.get('etag')).toBe('"rev-1"');
    const backup = await must('GET', '/v1/agent/config', undefined, cred.lb2);
    expect(backup.body.revision).toBe(2);
    expect(backup.body.held).toBeUndefined();
    const waiting = must('GET', '/v1/agent/config?wait=10', undefined, cred.lb1, { 'if-none-match': '"rev-1"' });
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    await report('lb2', 'BACKUP', 2);
    const released = await waiting;
    expect(released.status).toBe(200);
    expect(released.body.revision).toBe(2);
    expect(Date.now() - t0).toBeLessThan(1500);
    await report('lb1', 'MASTER', 2);
  });

  it('a change peers must agree on (advert_int) carries one applyAt for every director', async () => {
    const before = Date.now();
    await must('PUT', `/v1/clusters/${clusterId}/spec`, { spec: spec({ advertIntervalMs: 2000, notify: '/usr/local/bin/became-master' }) });
    const a = (await must('GET', '/v1/agent/config', undefined, cred.lb1)).body;
    const b = (await must('GET', '/v1/agent/config', undefined, cred.lb2)).body;
    expect(a.revision).toBe(3);
    expect(a.held).toBeUndefined(); // the instant replaces the master-last order
    expect(a.applyAt).toBeDefined();
    expect(a.applyAt).toBe(b.applyAt);
    const at = Date.parse(a.applyAt);
    expect(at).toBeGreaterThan(before);
    expect(at - before).toBeLessThanOrEqual(5000 + 1000);
  });
});
