/**
 * Group commit (services/agents/commit.ts) through a database path that stalls and is reset, on
 * real Postgres behind the soak's TCP proxy (infra/soak/children/cp-side.ts): once the path
 * forwards again, reports must be stored within seconds, with no control-plane restart. The soak's
 * 60-minute run of 2026-12-05 saw every report after a "stall then reset" wait minutes for an ack.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type DbHandle } from '../../control-plane/src/db.ts';
import { ReportCommitter, type ReportJob } from '../../control-plane/src/services/agents/commit.ts';
import { hashSecret } from '../../control-plane/src/services/tokens/secrets.ts';
import { serve } from '../../infra/soak/children/cp-side.ts';
import { testApp, type TestApp } from '../support/app.ts';
import { freePort } from '../support/postgres-server.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('group commit through a database path that stalls and resets', () => {
  let t: TestApp;
  let proxied: DbHandle;
  let proxy: ReturnType<typeof serve>;
  let clusterId: string;
  const directors: Array<{ id: string; name: string; cred: string }> = [];

  beforeAll(async () => {
    t = await testApp('postgres');
    await t.must('POST', '/v1/sites', { name: 'alpha' });
    clusterId = (await t.must('POST', '/v1/sites/alpha/clusters', { name: 'web' })).id;
    const names = ['d0', 'd1', 'd2', 'd3'];
    for (const n of names) await t.must('POST', `/v1/clusters/${clusterId}/directors`, { name: n });
    await t.must('PUT', `/v1/clusters/${clusterId}/spec`, { spec: { version: 1, directors: Object.fromEntries(names.map((n) => [n, {}])), vrrpInstances: { VI_1: { interface: 'eth0', virtualRouterId: 7, virtualIpAddresses: ['10.0.0.1/24'], directors: Object.fromEntries(names.map((n, i) => [n, { priority: 200 - i }])) } } } });
    const enroll = (await t.must('POST', '/v1/sites/alpha/enrollment-tokens', { maxUses: names.length })).secret;
    const ids = new Map(((await t.must('GET', `/v1/clusters/${clusterId}/directors`)).items as { id: string; name: string }[]).map((d) => [d.name, d.id]));
    for (const n of names) directors.push({ name: n, id: ids.get(n)!, cred: (await t.must('POST', '/v1/agent/enroll', { cluster: 'web', director: n }, enroll)).credential });
    const url = new URL((t.db as DbHandle & { url: string }).url);
    proxy = serve(() => {});
    const port = await freePort();
    await proxy.listen(port);
    proxy.target(url.hostname, Number(url.port || 5432));
    url.hostname = '127.0.0.1';
    url.port = String(port);
    proxied = await openDb({ driver: 'postgres', url: url.toString(), maxConnections: 5 });
  }, 120_000);
  afterAll(async () => {
    await proxied?.close().catch(() => undefined);
    proxy?.close();
    await t?.close();
  });

  let seq = 1;
  const job = (i: number): ReportJob => {
    const d = directors[i % directors.length]!;
    return {
      directorId: d.id, clusterId, credentialHash: hashSecret(d.cred),
      events: [{ kind: 'lb.quorum', siteId: null, clusterId, directorId: d.id, details: { virtualServer: 'v', up: true, reason: 'r' }, agentTime: new Date(), actor: `agent:${d.name}`, source: `director:${d.id}`, sourceSeq: seq++ }],
    };
  };

  it('after a stall that ends in a reset, reports are stored again within seconds', async () => {
    const committer = new ReportCommitter(proxied.db);
    await committer.submit(job(0));
    // Reports keep coming during the fault, as agents send them.
    let stop = false;
    const during: Promise<unknown>[] = [];
    const load = (async () => {
      for (let i = 0; !stop; i++) {
        during.push(committer.submit(job(i)).catch((e: unknown) => e));
        await sleep(100);
      }
    })();
    await sleep(500);
    proxy.mode('stall');
    await sleep(4000);
    proxy.reset();
    proxy.mode('forward');
    stop = true;
    await load;
    const t0 = Date.now();
    const after = await Promise.race([committer.submit(job(1)).then(() => 'stored', (e: unknown) => `failed: ${String(e)}`), sleep(20_000).then(() => 'no answer in 20 s')]);
    expect(after, `${Date.now() - t0} ms`).toBe('stored');
    expect(Date.now() - t0).toBeLessThan(10_000);
  }, 60_000);
});
