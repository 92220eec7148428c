/**
 * Group commit (services/agents/commit.ts) through a database path that stalls, is reset, or
 * loses a transaction's COMMIT and goes half-open, on real Postgres behind the soak's TCP proxy
 * (infra/soak/children/cp-side.ts): reports must be stored again within seconds, with no
 * control-plane restart. The soak's 60-minute run of 2026-12-05 saw every report after a "stall
 * then reset" wait minutes for an ack, until the control plane was restarted: one commit whose
 * promise never settled held the committer, and its transaction held the chain lock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { LANE_IDLE_IN_TRANSACTION_MS, openDb, rowsOf, type DbHandle } from '../../control-plane/src/db.ts';
import { CommitTimeout, ReportCommitter, type ReportJob } from '../../control-plane/src/services/agents/commit.ts';
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

  it('a COMMIT lost on a half-open connection fails its group at the deadline, and the next report is stored', async () => {
    // The worst case for the chain: the transaction holds the chain lock, its COMMIT never reaches
    // Postgres, nothing comes back and nothing errors, and Postgres is not told when we close.
    const lane = proxied.lane(2);
    let stalls = 0;
    const committer = new ReportCommitter(lane, { deadlineMs: 3000, onStall: () => stalls++ });
    try {
      // On a fresh pool the COMMIT goes out as text (later ones are a prepared statement's name).
      const trapped = proxy.trap('commit');
      const t0 = Date.now();
      const resent = job(1);
      const lost = await committer.submit(resent).then(() => 'stored', (e: unknown) => e);
      await trapped;
      expect(lost).toBeInstanceOf(CommitTimeout);
      expect(Date.now() - t0).toBeLessThan(3000 + 1000);
      expect(stalls).toBe(1);
      // The lost transaction still holds the chain lock on the server, idle in transaction...
      const idle = rowsOf<{ n: number }>(await t.db.db.execute(sql`select count(*)::int as n from pg_stat_activity where state = 'idle in transaction'`));
      expect(idle[0]!.n).toBeGreaterThanOrEqual(1);
      // ...until Postgres ends it (the lane's idle_in_transaction_session_timeout); the report
      // sent again after that is stored, once, by the fresh pool. Before the fix nothing was, ever.
      const t1 = Date.now();
      let stored: unknown;
      for (let i = 0; i < 15 && !stored; i++) {
        stored = await committer.submit(resent).then((r) => r, () => undefined);
      }
      expect(stored).toMatchObject({ stored: 1, duplicates: 0 });
      expect(Date.now() - t1).toBeLessThan(LANE_IDLE_IN_TRANSACTION_MS + 6000);
      // Nothing of the lost group was stored (rolled back), and nothing twice.
      const [row] = rowsOf<{ n: number; d: number }>(await t.db.db.execute(sql`select count(*)::int as n, count(distinct (source, source_seq))::int as d from events where source like 'director:%'`));
      expect(row!.n).toBe(row!.d);
    } finally {
      await lane.close();
    }
  }, 60_000);
});
