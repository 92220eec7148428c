/**
 * The control plane attacked the way someone holding one enrolled agent's credential (or
 * sending requests through a proxy, or with database access) would, on both database drivers.
 * Each case is an attack that worked before the control plane was hardened; each now fails
 * with a clear refusal and changes nothing.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { exampleClusterSpecInput } from '../../schema/src/spec/example.ts';
import { revisionChanges } from '../../control-plane/src/services/agents/notify.ts';
import { eventsAppended } from '../../control-plane/src/services/events/notify.ts';
import { drivers } from '../support/db.ts';
import { serveTestApp, tableCounts, testApp, type TestApp } from '../support/app.ts';

const spec = (vrid: number) => ({ ...exampleClusterSpecInput, vrrpInstances: { VI_WEB: { ...exampleClusterSpecInput.vrrpInstances.VI_WEB, virtualRouterId: vrid } } });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const at = (i = 0) => new Date(Date.UTC(2026, 11, 1, 10, 0, 0, i)).toISOString();
const transition = (seq: number, extra: Record<string, unknown> = {}) => ({ seq, kind: 'vrrp.transition', instance: 'VI_WEB', agentTime: at(seq), details: { from: 'backup', to: 'master', reason: 'master_down_timer', priority: 100, ...extra } });

describe.each(drivers)('a hostile agent against the control plane on %s', (driver) => {
  let t: TestApp;
  let srv: Awaited<ReturnType<typeof serveTestApp>>;
  let clusterId: string;
  const creds: Record<string, string> = {};

  async function must(method: string, path: string, body?: unknown, token?: string | null) {
    const r = await t.call(method, path, { body, ...(token !== undefined ? { token } : {}) });
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }
  const openWs = (cred: string) => {
    const s = new WebSocket(`ws://127.0.0.1:${srv.port}/v1/agent/ws`, { headers: { authorization: `Bearer ${cred}` } });
    const frames: Record<string, unknown>[] = [];
    s.on('message', (d) => frames.push(JSON.parse(String(d))));
    s.on('error', () => {});
    const closed = new Promise<{ code: number; at: number }>((r) => s.on('close', (code) => r({ code, at: Date.now() })));
    const opened = new Promise<void>((r, j) => { s.once('open', () => r()); s.once('unexpected-response', (_q, res) => j(new Error(`refused ${res.statusCode}`))); });
    const next = async (pred: (f: Record<string, unknown>) => boolean, ms = 10_000) => {
      const t0 = Date.now();
      for (;;) {
        const i = frames.findIndex(pred);
        if (i >= 0) return frames.splice(i, 1)[0]!;
        if (Date.now() - t0 > ms) throw new Error(`no matching frame within ${ms} ms; got ${JSON.stringify(frames).slice(0, 500)}`);
        await sleep(10);
      }
    };
    return { s, frames, closed, opened, next };
  };
  const healthz = async () => {
    const t0 = performance.now();
    const r = await fetch(`${srv.base}/healthz`);
    await r.text();
    return performance.now() - t0;
  };

  beforeAll(async () => {
    t = await testApp(driver);
    srv = await serveTestApp(t);
    await must('POST', '/v1/sites', { name: 'alpha' });
    await must('POST', '/v1/sites', { name: 'beta' });
    clusterId = (await must('POST', '/v1/sites/alpha/clusters', { name: 'web' })).id;
    for (const name of ['lb1', 'lb2']) await must('POST', `/v1/clusters/${clusterId}/directors`, { name });
    await must('PUT', `/v1/clusters/${clusterId}/spec`, { spec: spec(51) });
    const enroll = (await must('POST', '/v1/sites/alpha/enrollment-tokens', { maxUses: 2 })).secret;
    for (const d of ['lb1', 'lb2']) creds[d] = (await must('POST', '/v1/agent/enroll', { cluster: 'web', director: d }, enroll)).credential;
  }, 60_000);
  afterAll(async () => {
    await srv?.close();
    await t?.close();
  });

  it('survives every malformed WebSocket frame: an error frame each, a policy close after five, the process serving throughout', async () => {
    const corpus: (string | Buffer)[] = ['null', '[]', '"report"', '42', 'true', '{}', '{"type":null}', '{"type":"report"}', '{"type":"report","id":-1,"events":[]}',
      '{"type":"report","id":1,"events":"x"}', '{"type":"report","id":1,"events":[null]}', '{"type":"report","id":1,"events":[{"seq":"1"}]}', '{"type":"report","id":1,"state":{"instances":[null]}}',
      '{"__proto__":{"type":"report"}}', '{"type":"report","id":1e400}', 'not json', '', '['.repeat(100_000), `{"type":"report","id":1,"x":"${'a'.repeat(10)}"}`, Buffer.from([0xff, 0x00, 0x12])];
    let closedByPolicy = 0;
    for (let i = 0; i < corpus.length; i += 5) {
      const c = openWs(creds.lb1!);
      await c.opened;
      await c.next((f) => f.type === 'hello');
      for (const frame of corpus.slice(i, i + 5)) c.s.send(frame, { binary: Buffer.isBuffer(frame) });
      const close = await c.closed;
      const errors = c.frames.filter((f) => f.type === 'error');
      expect(errors.length, JSON.stringify(c.frames)).toBe(corpus.slice(i, i + 5).length);
      if (close.code === 1008) closedByPolicy++;
      expect((await fetch(`${srv.base}/healthz`)).status).toBe(200);
    }
    expect(closedByPolicy).toBe(4);
    expect((await t.call('GET', '/v1/events?kind=vrrp.transition')).body.items).toEqual([]);
  });

  it('refuses event kinds that are not an agent\'s to report: maintenance and preferred master stay as the operator set them', async () => {
    const before = await Promise.all(['lb1', 'lb2'].map(async (d) => (await t.call('GET', '/v1/agent/config', { token: creds[d]! })).body));
    await must('PUT', `/v1/clusters/${clusterId}/directors/lb2/maintenance`, { on: true });
    const counts = await tableCounts(t.db);
    const forged = [
      { seq: 1, kind: 'director.maintenance', agentTime: at(), details: { on: false, director: 'lb2' } },
      { seq: 2, kind: 'instance.move_master', instance: 'VI_WEB', agentTime: at(), details: { to: 'lb1' } },
      { seq: 3, kind: 'vrrp.split_brain', instance: 'VI_WEB', agentTime: at(), details: { masters: [] } },
      { seq: 4, kind: 'token.revoked', agentTime: at(), details: {} },
    ];
    const r = await t.call('POST', '/v1/agent/reports', { token: creds.lb1!, body: { events: forged } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ acked: 4, stored: 0 });
    expect(r.body.refused.map((x: { seq: number }) => x.seq)).toEqual([1, 2, 3, 4]);
    // Also over the WebSocket.
    const c = openWs(creds.lb1!);
    await c.opened;
    c.s.send(JSON.stringify({ type: 'report', id: 9, events: forged.map((e) => ({ ...e, seq: e.seq + 10 })) }));
    expect(await c.next((f) => f.type === 'ack')).toMatchObject({ id: 9, stored: 0, acked: 14 });
    c.s.close();
    expect(await tableCounts(t.db)).toEqual(counts);
    const lb1 = (await t.call('GET', '/v1/agent/config', { token: creds.lb1! })).body;
    const lb2 = (await t.call('GET', '/v1/agent/config', { token: creds.lb2! })).body;
    expect(lb2.maintenance).toBe(true);
    expect(lb1.config.instances.VI_WEB.priority).toBe(before[0].config.instances.VI_WEB.priority);
    expect(lb1.preferred).toEqual([]);
    await must('PUT', `/v1/clusters/${clusterId}/directors/lb2/maintenance`, { on: false });
  });

  it('stores a 1,000-event report in a bounded number of statements, and /healthz answers while ten of them are stored', async () => {
    const big = (from: number) => ({ events: Array.from({ length: 1000 }, (_, i) => transition(from + i, { from: i % 2 ? 'master' : 'backup', to: i % 2 ? 'backup' : 'master' })) });
    const q0 = t.db.queries();
    const one = await t.call('POST', '/v1/agent/reports', { token: creds.lb1!, body: big(100) });
    expect(one.body).toMatchObject({ stored: 1000, duplicates: 0 });
    // auth + the credential row + state + lock + dedupe + head + ids + insert + notify (+ split brain)
    expect(t.db.queries() - q0).toBeLessThan(20);
    const c = openWs(creds.lb1!);
    await c.opened;
    const worst: number[] = [];
    let done = false;
    const probe = (async () => { while (!done) { worst.push(await healthz()); await sleep(20); } })();
    for (let k = 0; k < 10; k++) c.s.send(JSON.stringify({ type: 'report', id: k, ...big(2000 + k * 1000) }));
    for (let k = 0; k < 10; k++) await c.next((f) => f.type === 'ack' && f.id === k, 120_000);
    done = true;
    await probe;
    c.s.close();
    expect(worst.length).toBeGreaterThan(3);
    // Before: every probe timed out for 52 s. A generous bound that only a stall can break.
    expect(Math.max(...worst)).toBeLessThan(1500);
    expect((await must('GET', '/v1/events/verify')).ok).toBe(true);
  }, 180_000);

  it('answers 429 with Retry-After to a second report from the same director while the first is stored', async () => {
    const lb1 = await must('GET', `/v1/clusters/${clusterId}/directors/lb1`);
    const release = t.ingest.tryEnter(lb1.id)!;
    const r = await t.call('POST', '/v1/agent/reports', { token: creds.lb1!, body: { events: [transition(90_000)] } });
    release();
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('1');
    expect(r.body.error.code).toBe('RATE_LIMITED');
    expect((await t.call('POST', '/v1/agent/reports', { token: creds.lb1!, body: { events: [transition(90_000)] } })).body.stored).toBe(1);
  });

  it('puts no request header into install.sh: Host is validated, forwarded headers need a trusted proxy, the URL is shell-quoted', async () => {
    // fetch() will not send a forged Host: a raw request does.
    const { request } = await import('node:http');
    const evil = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: srv.port, path: '/install.sh', headers: { host: "x';touch /tmp/pwned;'" } }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(evil.status).toBe(400);
    expect(evil.body).not.toContain('pwned');
    const fwd = await fetch(`${srv.base}/install.sh`, { headers: { 'x-forwarded-host': "evil.example';id;'", 'x-forwarded-proto': 'https' } });
    expect(fwd.status).toBe(200);
    const script = await fwd.text();
    expect(script).toContain(`CP='http://127.0.0.1:${srv.port}'`);
    expect(script).not.toContain('evil');
    expect(script).not.toMatch(/-H "authorization: Bearer/);
  });

  it('closes an SSE stream within a second of its token being revoked', async () => {
    const minted = await must('POST', '/v1/tokens', { name: 'sse-viewer', role: 'viewer' });
    const ctl = new AbortController();
    const res = await fetch(`${srv.base}/v1/events/stream?maxSeconds=60`, { headers: { authorization: `Bearer ${minted.secret}` }, signal: ctl.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    await reader.read();
    const revokedAt = Date.now();
    await must('DELETE', `/v1/tokens/${minted.token.id}`);
    let text = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(Date.now() - revokedAt).toBeLessThan(1500);
    expect(text).toMatch(/event: end/);
  });

  it('closes an SSE stream when its token expires', async () => {
    const minted = await must('POST', '/v1/tokens', { name: 'sse-short', role: 'viewer', expiresInSeconds: 60 });
    const res = await fetch(`${srv.base}/v1/events/stream?maxSeconds=60`, { headers: { authorization: `Bearer ${minted.secret}` } });
    const reader = res.body!.getReader();
    await reader.read();
    await t.db.db.execute(sql`update api_tokens set expires_at = now() where id = ${minted.token.id}`);
    const t0 = Date.now();
    while (!(await reader.read()).done) { /* drain */ }
    expect(Date.now() - t0).toBeLessThan(2500);
  });

  it('closes an agent WebSocket within a second of its director being re-enrolled or deleted, and stores nothing from it after', async () => {
    await must('POST', `/v1/clusters/${clusterId}/directors`, { name: 'lb3' });
    const bound = await must('POST', '/v1/sites/alpha/enrollment-tokens', { cluster: 'web', director: 'lb3', maxUses: 2 });
    const cred = (await must('POST', '/v1/agent/enroll', { cluster: 'web', director: 'lb3' }, bound.secret)).credential;
    const c = openWs(cred);
    await c.opened;
    const t0 = Date.now();
    await must('POST', '/v1/agent/enroll', { cluster: 'web', director: 'lb3' }, bound.secret); // re-enrolled elsewhere
    const closed = await c.closed;
    expect(closed.code).toBe(4001);
    expect(closed.at - t0).toBeLessThan(1500);
    const cred2 = (await t.call('POST', '/v1/agent/enroll', { token: bound.secret, body: { cluster: 'web', director: 'lb3' } })).status;
    expect(cred2).toBe(401); // the bound token is used up
  });

  it('a report on a credential that stopped being the director\'s stores nothing', async () => {
    await must('POST', `/v1/clusters/${clusterId}/directors`, { name: 'lb4' });
    const bound = await must('POST', '/v1/sites/alpha/enrollment-tokens', { cluster: 'web', director: 'lb4', maxUses: 1 });
    const cred = (await must('POST', '/v1/agent/enroll', { cluster: 'web', director: 'lb4' }, bound.secret)).credential;
    const c = openWs(cred);
    await c.opened;
    await c.next((f) => f.type === 'hello');
    await must('DELETE', `/v1/clusters/${clusterId}/directors/lb4`);
    c.s.send(JSON.stringify({ type: 'report', id: 1, events: [transition(1)] }));
    await c.closed;
    const rows = await t.call('GET', '/v1/events?kind=vrrp.transition&limit=1000');
    expect(rows.body.items.some((e: { actor: string }) => e.actor === 'agent:lb4')).toBe(false);
  });

  it('cannot take over an enrolled director\'s identity with the site\'s enrollment token', async () => {
    const siteWide = (await must('POST', '/v1/sites/alpha/enrollment-tokens', {})).secret;
    const r = await t.call('POST', '/v1/agent/enroll', { token: siteWide, body: { cluster: 'web', director: 'lb1' } });
    expect(r.status).toBe(409);
    expect((await t.call('GET', '/v1/agent/config', { token: creds.lb1! })).status).toBe(200);
  });

  it('verification detects truncation and a recomputed chain against the signed checkpoint, and covers nested "__proto__" keys', async () => {
    // "__proto__" keys are refused at the door (input guard); a row holding one (written before
    // that, or by hand) is still covered by its hash.
    const proto = await t.call('POST', '/v1/agent/reports', { token: creds.lb1!, body: { events: [{ seq: 500_000, kind: 'config.applied', agentTime: at(), details: { revision: 1, version: 'rev-1', diff: JSON.parse('{"a":{"__proto__":{"polluted":1}}}') } }] } });
    expect(proto.status).toBe(400);
    expect(proto.body.error.details[0].path).toEqual(['body', 'events', 0, 'details', 'diff', 'a', '__proto__']);
    const { appendEvent } = await import('../../control-plane/src/services/events/append.ts');
    await appendEvent({ db: t.db.db, actor: { type: 'system', name: 'test' } }, { kind: 'config.applied', details: JSON.parse('{"revision":1,"version":"rev-1","diff":{"a":{"__proto__":{"polluted":1}}}}') });
    const cp = await must('POST', '/v1/events/checkpoints');
    expect(cp.checkpoint.eventId).toBeGreaterThan(0);
    expect((await must('GET', '/v1/events/verify')).ok).toBe(true);
    const { eventId } = cp.checkpoint;
    // Tamper with the stored nested "__proto__" content, with triggers off (database access).
    const stored = await t.call('GET', `/v1/events?kind=config.applied&order=desc&limit=1`);
    const target = stored.body.items[0].id;
    expect(JSON.stringify(stored.body.items[0].details)).toContain('"__proto__":{"polluted":1}');
    await t.db.db.execute(sql.raw('alter table events disable trigger user'));
    await t.db.db.execute(sql`update events set details = jsonb_set(details, '{diff,a,__proto__,polluted}', '2') where id = ${target}`);
    let v = await must('GET', '/v1/events/verify?full=true');
    expect(v).toMatchObject({ ok: false, brokenAt: { id: target, reason: 'hash_mismatch' } });
    await t.db.db.execute(sql`update events set details = jsonb_set(details, '{diff,a,__proto__,polluted}', '1') where id = ${target}`);
    expect((await must('GET', '/v1/events/verify')).ok).toBe(true);
    // Truncation: the newest rows (including the checkpointed head) deleted.
    const saved = await t.db.db.execute(sql`select * from events where id >= ${eventId} order by id`);
    await t.db.db.execute(sql`delete from events where id >= ${eventId}`);
    v = await must('GET', '/v1/events/verify');
    expect(v).toMatchObject({ ok: false, brokenAt: { id: eventId, reason: 'missing' } });
    expect(v.problem).toMatch(/truncated/);
    // Restore, then recompute the whole chain from a forged first row: consistent, but not the
    // chain the checkpoint signed.
    const rows = ((saved as unknown as { rows?: unknown[] }).rows ?? saved) as Record<string, unknown>[];
    for (const r of rows) await t.db.db.execute(sql`insert into events (id, site_id, cluster_id, director_id, instance, kind, actor, details, agent_time, received_at, source, source_seq, prev_hash, hash, clock_skew_ms) values (${r.id}, ${r.site_id}, ${r.cluster_id}, ${r.director_id}, ${r.instance}, ${r.kind}, ${r.actor}, ${JSON.stringify(r.details)}::jsonb, ${r.agent_time}, ${r.received_at}, ${r.source}, ${r.source_seq}, ${r.prev_hash}, ${r.hash}, ${r.clock_skew_ms})`);
    expect((await must('GET', '/v1/events/verify')).ok).toBe(true);
    const { recomputeChain } = await import('../support/chain-forgery.ts');
    await recomputeChain(t.db.db, { fromId: 1, rewriteActor: 'token:forged' });
    v = await must('GET', '/v1/events/verify');
    expect(v).toMatchObject({ ok: false, brokenAt: { reason: 'checkpoint_mismatch' } });
    // Deleting the checkpoint rows too is caught by the witness kept outside the database.
    await t.db.db.execute(sql.raw('alter table audit_checkpoints disable trigger user'));
    await t.db.db.execute(sql.raw('delete from audit_checkpoints'));
    v = await must('GET', '/v1/events/verify');
    expect(v.ok).toBe(false);
    expect(v.problem).toMatch(/checkpoints are missing from the database/);
  });

  it('ten concurrent verifications share one walk and /healthz keeps answering', async () => {
    const worst: number[] = [];
    let done = false;
    const probe = (async () => { while (!done) { worst.push(await healthz()); await sleep(10); } })();
    const q0 = t.db.queries();
    const results = await Promise.all(Array.from({ length: 10 }, () => fetch(`${srv.base}/v1/events/verify`, { headers: { authorization: `Bearer ${t.admin}` } }).then((r) => r.json())));
    done = true;
    await probe;
    expect(new Set(results.map((r) => JSON.stringify(r))).size).toBe(1);
    expect(t.db.queries() - q0).toBeLessThan(200);
    expect(Math.max(...worst)).toBeLessThan(1500);
    const full = await t.call('GET', '/v1/events/verify?full=true', { token: (await must('POST', '/v1/tokens', { name: 'v', role: 'viewer' })).secret });
    expect(full.status).toBe(403); // a full walk is an admin's
  });

  it('an abandoned long-poll stops costing anything the moment its client goes away', async () => {
    const r = await t.call('GET', '/v1/agent/config', { token: creds.lb1! });
    const etag = r.headers.get('etag')!;
    const ctls = Array.from({ length: 50 }, () => new AbortController());
    const polls = ctls.map((c) => fetch(`${srv.base}/v1/agent/config?wait=60`, { headers: { authorization: `Bearer ${creds.lb1}`, 'if-none-match': etag }, signal: c.signal }).catch(() => undefined));
    for (let i = 0; i < 100 && revisionChanges.waiting(clusterId) < 50; i++) await sleep(20);
    expect(revisionChanges.waiting(clusterId)).toBe(50);
    for (const c of ctls) c.abort();
    await Promise.all(polls);
    for (let i = 0; i < 100 && revisionChanges.waiting(clusterId) > 0; i++) await sleep(20);
    expect(revisionChanges.waiting(clusterId)).toBe(0);
  });

  it('idle SSE clients cost no queries: they wait on the append notification', async () => {
    const ctls = Array.from({ length: 40 }, () => new AbortController());
    const base = eventsAppended.size;
    const streams = await Promise.all(ctls.map((c) => fetch(`${srv.base}/v1/events/stream?maxSeconds=60`, { headers: { authorization: `Bearer ${t.admin}` }, signal: c.signal })));
    for (let i = 0; i < 100 && eventsAppended.size < base + 40; i++) await sleep(20);
    const q0 = t.db.queries();
    await sleep(1500);
    // The session registry re-checks the 40 tokens in one query a second; nothing per stream.
    expect(t.db.queries() - q0).toBeLessThanOrEqual(3);
    for (const c of ctls) c.abort();
    await Promise.all(streams.map((s) => s.body?.cancel().catch(() => undefined)));
    for (let i = 0; i < 100 && eventsAppended.size > base; i++) await sleep(20);
    expect(eventsAppended.size).toBe(base);
  });

  it('smaller holes: content type, NUL, year 0000, huge cursor, deep JSON, CSV formulas, reserved names, WebSocket path', async () => {
    const counts = await tableCounts(t.db);
    const cases: Array<[string, string, RequestInit, number, string]> = [
      ['POST', '/v1/sites', { body: '{"name":"x1"}', headers: { 'content-type': 'text/plain' } }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['POST', '/v1/sites', { body: '{"name":"x1"}', headers: {} }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['POST', '/v1/sites', { body: '{"name":"x1","description":"a\\u0000b"}', headers: { 'content-type': 'application/json' } }, 400, 'VALIDATION'],
      ['POST', '/v1/sites', { body: '{"name":"x1","description":"\\ud800"}', headers: { 'content-type': 'application/json' } }, 400, 'VALIDATION'],
      ['POST', '/v1/sites', { body: `{"name":"x1","description":${'['.repeat(5000)}${']'.repeat(5000)}}`, headers: { 'content-type': 'application/json' } }, 400, 'VALIDATION'],
      ['GET', '/v1/events?since=0000-01-01T00:00:00Z', {}, 400, 'VALIDATION'],
      ['GET', `/v1/events?cursor=${Buffer.from(`e:${'9'.repeat(40)}`).toString('base64url')}`, {}, 400, 'VALIDATION'],
      ['GET', '/v1/events?kind=%00', {}, 400, 'VALIDATION'],
      ['GET', '/v1/events?instance=%ED%A0%80', {}, 400, 'VALIDATION'],
      ['POST', '/v1/agent/reports', { body: JSON.stringify({ events: [{ ...transition(1), agentTime: '0000-01-01T00:00:00Z' }] }), headers: { 'content-type': 'application/json' } }, 200, ''],
    ];
    for (const [method, path, init, status, code] of cases) {
      const token = path.startsWith('/v1/agent/') ? creds.lb2! : t.admin;
      const res = await t.app.request(path, { method, ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${token}` } });
      const body = await res.json();
      expect(res.status, `${method} ${path}: ${JSON.stringify(body)}`).toBe(status);
      if (code) expect(body.error.code).toBe(code);
      else expect(body.refused[0].reason).toMatch(/1970 and 9999/);
    }
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      // A computed key is an own property even for "__proto__", so it reaches the server.
      const bad = { ...exampleClusterSpecInput, vrrpInstances: { [name]: exampleClusterSpecInput.vrrpInstances.VI_WEB } };
      const r = await t.call('PUT', `/v1/clusters/${clusterId}/spec`, { body: { spec: bad } });
      expect(r.status, `${name}: ${JSON.stringify(r.body)}`).toBe(400);
      expect(JSON.stringify(r.body.error)).toMatch(/reserved/);
    }
    expect(await tableCounts(t.db)).toEqual(counts);
    // CSV: an agent-chosen string starting with "=" is not a formula.
    await t.call('POST', '/v1/agent/reports', { token: creds.lb2!, body: { events: [{ seq: 777, kind: 'lb.realServer', agentTime: at(), details: { virtualServer: '=HYPERLINK("http://x")', realServer: '+1', up: false, reason: '@SUM(1)' } }] } });
    const csv = await (await t.raw('/v1/events/export?format=csv&kind=lb.realServer')).text();
    expect(csv.split('\n').length).toBeGreaterThan(1);
    expect(csv).not.toMatch(/(^|,)"?[=+@-]/m);
    const wrong = new WebSocket(`ws://127.0.0.1:${srv.port}/v1/elsewhere`, { headers: { authorization: `Bearer ${creds.lb1}` } });
    wrong.on('error', () => {});
    const body = await new Promise<string>((r) => wrong.once('unexpected-response', (_q, res) => { let b = ''; res.on('data', (d: Buffer) => (b += d)); res.on('end', () => r(`${res.statusCode} ${b}`)); }));
    expect(body).toMatch(/^404 .*"code":"NOT_FOUND"/);
  });

  it('a failed query is logged without its parameters (a new token\'s hash, a credential)', async () => {
    const lines: string[] = [];
    const { default: pino } = await import('pino');
    const logged = await testApp(driver, { logger: pino({ level: 'info' }, { write: (l: string) => lines.push(l) }) });
    try {
      // An injected database fault: the table the insert needs is gone.
      await logged.db.db.execute(sql.raw('alter table api_tokens rename to api_tokens_away'));
      const r = await logged.app.request('/v1/tokens', { method: 'POST', headers: { authorization: `Bearer ${logged.admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'fault', role: 'viewer' }) });
      expect(r.status).toBe(500); // authentication itself cannot read tokens now: an opaque 500
      await logged.db.db.execute(sql.raw('alter table api_tokens_away rename to api_tokens'));
      await logged.db.db.execute(sql.raw('alter table enrollment_tokens rename to enrollment_tokens_away'));
      await logged.call('POST', '/v1/sites', { body: { name: 'faulty' } });
      const e = await logged.app.request('/v1/sites/faulty/enrollment-tokens', { method: 'POST', headers: { authorization: `Bearer ${logged.admin}`, 'content-type': 'application/json' }, body: '{}' });
      expect(e.status).toBe(500);
      const body = await e.json();
      expect(body.error).toMatchObject({ code: 'INTERNAL' });
      const text = lines.join('');
      expect(text).toMatch(/unhandled error/);
      expect(text).toMatch(/params: \[redacted\]/);
      expect(text).not.toMatch(/[0-9a-f]{64}/); // no secret hash of any kind
    } finally {
      await logged.close();
    }
  });
});
