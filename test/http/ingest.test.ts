/**
 * Group commit of agent reports (services/agents/commit.ts) on both drivers: concurrent reports
 * from many directors share transactions, every event lands once in one verifiable chain, a
 * report that breaks its group fails alone, and a report whose credential was replaced stores
 * nothing while the rest of its group does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReportCommitter } from '../../control-plane/src/services/agents/commit.ts';
import { drivers } from '../support/db.ts';
import { testApp, type TestApp } from '../support/app.ts';

const specFor = (names: string[]) => ({
  version: 1,
  directors: Object.fromEntries(names.map((n) => [n, {}])),
  vrrpInstances: { VI_1: { interface: 'eth0', virtualRouterId: 7, virtualIpAddresses: ['10.0.0.1/24'], directors: Object.fromEntries(names.map((n, i) => [n, { priority: 200 - i }])) } },
});

describe.each(drivers)('group commit of agent reports on %s', (driver) => {
  let t: TestApp;
  let clusterId: string;
  const creds: string[] = [];
  const N = 40;

  beforeAll(async () => {
    t = await testApp(driver);
    await t.must('POST', '/v1/sites', { name: 'alpha' });
    clusterId = (await t.must('POST', '/v1/sites/alpha/clusters', { name: 'web' })).id;
    const names = Array.from({ length: N }, (_, i) => `d${i}`);
    for (const n of names) await t.must('POST', `/v1/clusters/${clusterId}/directors`, { name: n });
    await t.must('PUT', `/v1/clusters/${clusterId}/spec`, { spec: specFor(names) });
    const enroll = (await t.must('POST', '/v1/sites/alpha/enrollment-tokens', { maxUses: N })).secret;
    for (const n of names) creds.push((await t.must('POST', '/v1/agent/enroll', { cluster: 'web', director: n }, enroll)).credential);
  }, 120_000);
  afterAll(async () => t?.close());

  const events = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ seq: from + i, kind: 'lb.realServer', agentTime: new Date().toISOString(), details: { virtualServer: 'TCP 10.0.0.1:80', realServer: `10.0.1.${i % 250}:80`, up: i % 2 === 0, reason: 'check' } }));

  it('concurrent reports share transactions; every event is stored once and the chain verifies', async () => {
    const g0 = t.committer.groups;
    const results = await Promise.all(creds.map((c) => t.call('POST', '/v1/agent/reports', { token: c, body: { events: events(1, 100), appliedRevision: 1, state: { instances: [{ name: 'VI_1', state: 'BACKUP' }] } } })));
    expect(results.map((r) => r.status)).toEqual(creds.map(() => 200));
    expect(results.map((r) => r.body.stored)).toEqual(creds.map(() => 100));
    expect(t.committer.groups - g0).toBeLessThan(N); // grouped
    const again = await Promise.all(creds.map((c) => t.call('POST', '/v1/agent/reports', { token: c, body: { events: events(1, 100) } })));
    expect(again.map((r) => r.body.duplicates)).toEqual(creds.map(() => 100));
    expect((await t.call('GET', '/v1/events/verify')).body.ok).toBe(true);
    const dirs = (await t.call('GET', `/v1/clusters/${clusterId}/directors`)).body.items as { appliedRevision: number }[];
    expect(dirs.every((d) => d.appliedRevision === 1)).toBe(true);
  });

  it('a report that breaks its group fails alone; one whose credential was replaced stores nothing', async () => {
    const byName = new Map(((await t.call('GET', `/v1/clusters/${clusterId}/directors`)).body.items as { id: string; name: string }[]).map((d) => [d.name, d]));
    const directors = creds.map((_, i) => byName.get(`d${i}`)!);
    const { hashSecret } = await import('../../control-plane/src/services/tokens/secrets.ts');
    const committer = new ReportCommitter(t.db.db);
    const job = (i: number, extra: object = {}) => ({
      directorId: directors[i]!.id, clusterId, credentialHash: hashSecret(creds[i]!),
      events: [{ kind: 'lb.quorum', siteId: null, clusterId, directorId: directors[i]!.id, details: { virtualServer: 'v', up: true, reason: 'r' }, agentTime: new Date(), actor: `agent:${directors[i]!.name}`, source: `director:${directors[i]!.id}`, sourceSeq: 10_000 + i }],
      ...extra,
    });
    const outcomes = await Promise.allSettled([
      committer.submit(job(0)),
      committer.submit(job(1, { appliedRevision: 2 ** 40 })), // does not fit the column: breaks the group
      committer.submit(job(2, { credentialHash: 'not-the-current-one' })),
      committer.submit(job(3)),
    ]);
    expect(outcomes.map((o) => o.status), JSON.stringify(outcomes.map((o) => (o.status === 'rejected' ? String(o.reason) : 'ok')))).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect((outcomes[2] as PromiseRejectedResult).reason.code).toBe('UNAUTHORIZED');
    expect(outcomes.filter((o) => o.status === 'fulfilled').map((o) => (o as PromiseFulfilledResult<{ stored: number }>).value.stored)).toEqual([1, 1]);
    const quorum = (await t.call('GET', '/v1/events?kind=lb.quorum&limit=100')).body.items as { actor: string }[];
    expect(quorum.map((e) => e.actor).sort()).toEqual([`agent:${directors[0]!.name}`, `agent:${directors[3]!.name}`]);
    expect((await t.call('GET', '/v1/events/verify')).body.ok).toBe(true);
  });
});
