/**
 * The agent endpoints on both database drivers: enrollment (token uses, expiry, re-enrollment),
 * the rendered config with its ETag and long-poll, reports stored exactly once however often
 * they are re-sent, failovers derived from reported transitions, split brain, and the wall
 * between agent credentials and operator routes.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleClusterSpecInput } from '../../schema/src/spec/example.ts';
import { drivers } from '../support/db.ts';
import { testApp, type TestApp } from '../support/app.ts';

const spec = (vrid: number) => ({ ...exampleClusterSpecInput, vrrpInstances: { VI_WEB: { ...exampleClusterSpecInput.vrrpInstances.VI_WEB, virtualRouterId: vrid } } });

describe.each(drivers)('agent endpoints on %s', (driver) => {
  let t: TestApp;
  let clusterId: string;
  let enrollSecret: string;
  const creds: Record<string, string> = {};

  async function must(method: string, path: string, body?: unknown, token?: string | null) {
    const r = await t.call(method, path, { body, ...(token !== undefined ? { token } : {}) });
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }
  const transition = (seq: number, at: string, details: Record<string, unknown>) => ({ seq, kind: 'vrrp.transition', instance: 'VI_WEB', agentTime: at, details });

  beforeAll(async () => {
    t = await testApp(driver);
    await must('POST', '/v1/sites', { name: 'alpha' });
    await must('POST', '/v1/sites', { name: 'beta' });
    clusterId = (await must('POST', '/v1/sites/alpha/clusters', { name: 'web' })).id;
    await must('POST', '/v1/sites/alpha/clusters', { name: 'spare' });
    for (const name of ['lb1', 'lb2']) await must('POST', `/v1/clusters/${clusterId}/directors`, { name });
    await must('PUT', `/v1/clusters/${clusterId}/spec`, { spec: spec(51) });
    enrollSecret = (await must('POST', '/v1/sites/alpha/enrollment-tokens', { maxUses: 3, expiresInSeconds: 3600 })).secret;
  });
  afterAll(async () => t?.close());

  it('enrolls with an enrollment token: a credential once, its hash stored, the token used', async () => {
    for (const d of ['lb1', 'lb2']) {
      const r = await t.call('POST', '/v1/agent/enroll', { token: enrollSecret, body: { cluster: 'web', director: d } });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      expect(r.body.credential).toMatch(/^vga_/);
      expect(r.body.director.name).toBe(d);
      creds[d] = r.body.credential;
    }
    const dirs = await must('GET', `/v1/clusters/${clusterId}/directors`);
    expect(dirs.items.map((d: { name: string; enrolled: boolean }) => [d.name, d.enrolled])).toEqual([['lb1', true], ['lb2', true]]);
    const stored = await t.db.db.execute(sql`select credential_hash from directors where name = 'lb1'`);
    expect(JSON.stringify(stored)).not.toContain(creds.lb1);
    const tokens = await must('GET', '/v1/sites/alpha/enrollment-tokens');
    expect(tokens.items[0].uses).toBe(2);
  });

  it('refuses bad enrollments with a clear error and changes nothing', async () => {
    const before = await must('GET', `/v1/clusters/${clusterId}/directors`);
    const cases: Array<[string | null, unknown, number, RegExp]> = [
      [null, { cluster: 'web', director: 'lb3' }, 401, /missing bearer token/],
      ['vge_nope', { cluster: 'web', director: 'lb3' }, 401, /unknown enrollment token/],
      [enrollSecret, { cluster: 'nope', director: 'lb3' }, 404, /cluster "nope"/],
      [enrollSecret, { cluster: 'web', director: 'LB 3!' }, 400, /director/],
      [enrollSecret, { cluster: 'web', director: 'lb3', extra: 1 }, 400, /extra/],
    ];
    for (const [token, body, status, msg] of cases) {
      const r = await t.call('POST', '/v1/agent/enroll', { token, body });
      expect(r.status, JSON.stringify(r.body)).toBe(status);
      expect(r.body.error.message + JSON.stringify(r.body.error.details ?? '')).toMatch(msg);
    }
    expect((await must('GET', `/v1/clusters/${clusterId}/directors`)).items.length).toBe(before.items.length);
    // An enrolled director's identity cannot be taken with the site's token: 409, nothing used.
    const steal = await t.call('POST', '/v1/agent/enroll', { token: enrollSecret, body: { cluster: 'web', director: 'lb1' } });
    expect(steal.status).toBe(409);
    expect(steal.body.error.message).toMatch(/already enrolled.*reset its credential.*enrollment token for that director/);
    expect((await t.call('GET', '/v1/agent/config', { token: creds.lb1 })).status).toBe(200);
    // The refusals did not consume a use: the third enrollment still works, a fourth does not.
    expect((await t.call('POST', '/v1/agent/enroll', { token: enrollSecret, body: { cluster: 'spare', director: 'lb9' } })).status).toBe(201);
    const used = await t.call('POST', '/v1/agent/enroll', { token: enrollSecret, body: { cluster: 'spare', director: 'lb10' } });
    expect(used.status).toBe(401);
    expect(used.body.error.message).toMatch(/used up/);
  });

  it('re-enrolling needs a token minted for that director or an operator reset; the old credential then stops working', async () => {
    const old = creds.lb1!;
    const siteWide = (await must('POST', '/v1/sites/alpha/enrollment-tokens', {})).secret;
    expect((await t.call('POST', '/v1/agent/enroll', { token: siteWide, body: { cluster: 'web', director: 'lb1' } })).status).toBe(409);
    // A token minted for lb1 re-enrolls lb1, and only lb1.
    const forLb1 = await must('POST', '/v1/sites/alpha/enrollment-tokens', { cluster: 'web', director: 'lb1', maxUses: 2 });
    expect(forLb1.install.command).toContain("--cluster 'web' --director 'lb1'");
    expect((await t.call('POST', '/v1/agent/enroll', { token: forLb1.secret, body: { cluster: 'web', director: 'lb2' } })).status).toBe(403);
    creds.lb1 = (await must('POST', '/v1/agent/enroll', { cluster: 'web', director: 'lb1' }, forLb1.secret)).credential;
    expect((await t.call('GET', '/v1/agent/config', { token: old })).status).toBe(401);
    expect((await t.call('GET', '/v1/agent/config', { token: creds.lb1 })).status).toBe(200);
    // An operator reset cuts the agent off; then the site's token may enroll the name again.
    await must('DELETE', `/v1/clusters/${clusterId}/directors/lb1/credential`);
    expect((await t.call('GET', '/v1/agent/config', { token: creds.lb1 })).status).toBe(401);
    creds.lb1 = (await must('POST', '/v1/agent/enroll', { cluster: 'web', director: 'lb1' }, siteWide)).credential;
    expect((await t.call('GET', '/v1/agent/config', { token: creds.lb1 })).status).toBe(200);
    const audit = await must('GET', `/v1/events?cluster=${clusterId}&kind=director.credential_reset`);
    expect(audit.items.map((e: { actor: string }) => e.actor)).toEqual(['token:bootstrap-admin']);
  });

  it('serves the director\'s resolved config with an ETag; If-None-Match gives 304; ?wait long-polls until a new revision', async () => {
    const r = await t.call('GET', '/v1/agent/config', { token: creds.lb1 });
    expect(r.status).toBe(200);
    expect(r.headers.get('etag')).toBe(`"rev-${r.body.revision}"`);
    expect(r.body.director).toBe('lb1');
    expect(r.body.config.instances.VI_WEB.virtualRouterId ?? r.body.config.instances.VI_WEB.vrid).toBe(51);
    const etag = r.headers.get('etag')!;
    expect((await t.call('GET', '/v1/agent/config', { token: creds.lb1, headers: { 'if-none-match': etag } })).status).toBe(304);
    const t0 = Date.now();
    const waiting = t.call('GET', '/v1/agent/config?wait=10', { token: creds.lb1, headers: { 'if-none-match': etag } });
    await new Promise((res) => setTimeout(res, 300));
    await must('PUT', `/v1/clusters/${clusterId}/spec`, { spec: spec(52) });
    const changed = await waiting;
    expect(changed.status).toBe(200);
    expect(changed.body.revision).toBe(r.body.revision + 1);
    expect(Date.now() - t0).toBeLessThan(1500);
    const idle = await t.call('GET', '/v1/agent/config?wait=1', { token: creds.lb1, headers: { 'if-none-match': changed.headers.get('etag')! } });
    expect(idle.status).toBe(304);
  });

  it('stores reported events exactly once however often a batch is re-sent', async () => {
    const batch = { events: [transition(1, '2026-11-29T10:00:00.000Z', { from: 'backup', to: 'master', reason: 'master_down_timer', priority: 150 }), { seq: 2, kind: 'config.applied', agentTime: '2026-11-29T10:00:01.000Z', details: { revision: 2, version: 'rev-2' } }], appliedRevision: 2 };
    const first = await t.call('POST', '/v1/agent/reports', { token: creds.lb1, body: batch });
    expect(first.body).toEqual({ acked: 2, stored: 2, duplicates: 0, refused: [], conflicts: [], seqAbove: null });
    const again = await t.call('POST', '/v1/agent/reports', { token: creds.lb1, body: batch });
    expect(again.body).toEqual({ acked: 2, stored: 0, duplicates: 2, refused: [], conflicts: [], seqAbove: null });
    const evs = await must('GET', `/v1/events?cluster=${clusterId}&kind=vrrp.transition`);
    expect(evs.items.filter((e: { actor: string }) => e.actor === 'agent:lb1')).toHaveLength(1);
    const d = await must('GET', `/v1/clusters/${clusterId}/directors/lb1`);
    expect(d.appliedRevision).toBe(2);
    expect((await must('GET', '/v1/events/verify')).ok ?? true).toBeTruthy();
  });

  it('rejects malformed reports (with the field path) and stores nothing of them', async () => {
    const bad = [
      { events: [{ seq: 0, kind: 'x', agentTime: '2026-11-29T10:00:00Z' }] },
      { events: [{ kind: 'vrrp.transition' }] },
      { state: 'up' },
      { events: [], extra: true },
    ];
    for (const body of bad) {
      const r = await t.call('POST', '/v1/agent/reports', { token: creds.lb2, body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(JSON.stringify(r.body.error.details)).toMatch(/body/);
    }
    // A well-formed report with bad events: each one refused with its reason, none stored,
    // all acknowledged (the outbox moves on), the batch's good event stored.
    const r = await t.call('POST', '/v1/agent/reports', { token: creds.lb2, body: { events: [
      { seq: 5, kind: 'Not A Kind', agentTime: '2026-11-29T10:00:00Z', details: {} },
      { seq: 6, kind: 'vrrp.transition', instance: 'VI_WEB', agentTime: 'yesterday', details: {} },
      { seq: 7, kind: 'director.maintenance', agentTime: '2026-11-29T10:00:00Z', details: { on: false } },
    ] } });
    expect(r.status).toBe(200);
    expect(r.body.acked).toBe(7);
    expect(r.body.stored).toBe(0);
    expect(r.body.refused.map((x: { seq: number }) => x.seq)).toEqual([5, 6, 7]);
    expect(r.body.refused[2].reason).toMatch(/not one an agent may report/);
    const evs = await must('GET', `/v1/events?cluster=${clusterId}`);
    expect(evs.items.some((e: { actor: string }) => e.actor === 'agent:lb2')).toBe(false);
  });

  it('derives failovers with their gap from reported transitions', async () => {
    // lb1 master (above); lb2 takes over after lb1 crashed: its advert last heard at 10:00:05.000.
    await must('POST', '/v1/agent/reports', { events: [transition(1, '2026-11-29T10:00:05.400Z', { from: 'backup', to: 'master', reason: 'master_down_timer', priority: 100, lastAdvertAt: '2026-11-29T10:00:05.000Z' })] }, creds.lb2);
    // lb1 comes back and preempts; lb2 leaves master at 10:01:00.000 and lb1 takes over at .020.
    await must('POST', '/v1/agent/reports', { events: [transition(2, '2026-11-29T10:01:00.000Z', { from: 'master', to: 'backup', reason: 'higher_priority_advert', priority: 100 })] }, creds.lb2);
    await must('POST', '/v1/agent/reports', { events: [transition(3, '2026-11-29T10:01:00.020Z', { from: 'backup', to: 'master', reason: 'preempt', priority: 150 })] }, creds.lb1);
    const f = await must('GET', `/v1/failovers?cluster=${clusterId}`);
    expect(f.items.map((x: Record<string, unknown>) => [x.kind, x.oldMaster, x.newMaster, x.cause, x.gapMs])).toEqual([
      ['failover', 'lb2', 'lb1', 'preempt', 20],
      ['failover', 'lb1', 'lb2', 'master_down_timer', 400],
    ]);
    expect((await must('GET', `/v1/failovers?cluster=${clusterId}&since=2026-11-29T10:00:30Z`)).items).toHaveLength(1);
    expect((await must('GET', '/v1/failovers?site=beta')).items).toEqual([]);
    // lb1 restarts its instance (a reload that needs a restart): VIPs gone at .100, back at .450,
    // still lb1: no failover, but an outage of 350 ms. Then its agent crashes and a new run of
    // it takes over again with nobody else in between: an outage of unknown length.
    await must('POST', '/v1/agent/reports', { events: [
      transition(4, '2026-11-29T10:02:00.100Z', { from: 'master', to: 'stopped', reason: 'reload', priority: 150, incarnation: 'run-1', vipsAt: '2026-11-29T10:02:00.100Z' }),
      transition(5, '2026-11-29T10:02:00.400Z', { from: 'backup', to: 'master', reason: 'master_down_timer', priority: 150, incarnation: 'run-1b', vipsAt: '2026-11-29T10:02:00.450Z' }),
      transition(6, '2026-11-29T10:03:00.000Z', { from: 'backup', to: 'master', reason: 'master_down_timer', priority: 150, incarnation: 'run-2', vipsAt: '2026-11-29T10:03:00.010Z' }),
    ] }, creds.lb1);
    const g = await must('GET', `/v1/failovers?cluster=${clusterId}&since=2026-11-29T10:01:30Z`);
    expect(g.items.map((x: Record<string, unknown>) => [x.kind, x.oldMaster, x.newMaster, x.gapMs, x.noHolderSince])).toEqual([
      ['outage', 'lb1', 'lb1', null, null],
      ['outage', 'lb1', 'lb1', 350, '2026-11-29T10:02:00.100Z'],
    ]);
  });

  it('detects split brain from reported states, once per episode', async () => {
    const state = { instances: [{ name: 'VI_WEB', state: 'MASTER' }] };
    await must('POST', '/v1/agent/reports', { state }, creds.lb1);
    await must('POST', '/v1/agent/reports', { state }, creds.lb2);
    await must('POST', '/v1/agent/reports', { state }, creds.lb2);
    const evs = await must('GET', `/v1/events?cluster=${clusterId}&kind=vrrp.split_brain`);
    expect(evs.items).toHaveLength(1);
    expect(evs.items[0].details.masters).toEqual(['lb1', 'lb2']);
    // The fleet view shows it, and each director's drift against the desired revision.
    const fleet = await must('GET', '/v1/fleet');
    const web = fleet.sites.find((s: { name: string }) => s.name === 'alpha').clusters.find((c: { name: string }) => c.name === 'web');
    expect(web.instances.find((i: { name: string }) => i.name === 'VI_WEB')).toMatchObject({ masters: ['lb1', 'lb2'], splitBrain: true, master: null });
    expect(web.directors.map((d: { name: string; appliedRevision: number | null; drift: boolean }) => [d.name, d.appliedRevision, d.drift])).toEqual([['lb1', 2, false], ['lb2', null, true]]);
  });

  it('a handover is not split brain: a preempt at startup, a crashed master\'s stale report; a real one is confirmed by the next report', async () => {
    const I = 'VI_PRE';
    const st = (state: string) => ({ instances: [{ name: I, state }] });
    const tr = (seq: number, from: string, to: string, reason: string) => ({ seq, kind: 'vrrp.transition', instance: I, agentTime: new Date().toISOString(), details: { from, to, reason, priority: 100 } });
    const pause = () => new Promise((r) => setTimeout(r, 20));
    const splits = async () => ((await must('GET', `/v1/events?cluster=${clusterId}&kind=vrrp.split_brain&instance=${I}`)).items as unknown[]).length;
    const seq = { lb1: 9000, lb2: 9000 } as Record<string, number>;
    const report = async (d: 'lb1' | 'lb2', state: string, ...evs: Array<[string, string, string]>) => {
      await must('POST', '/v1/agent/reports', { state: st(state), events: evs.map(([f, to, why]) => tr(++seq[d]!, f, to, why)) }, creds[d]);
      await pause();
    };
    // lb2 has been master; lb1 starts and preempts. Its report (MASTER, with the takeover) lands
    // before lb2's next one says BACKUP: for a moment both stored states say MASTER.
    await report('lb2', 'MASTER', ['initialize', 'backup', 'startup'], ['backup', 'master', 'master_down_timer']);
    await report('lb1', 'MASTER', ['initialize', 'backup', 'startup'], ['backup', 'master', 'preempt']);
    expect(await splits()).toBe(0);
    await report('lb2', 'BACKUP', ['master', 'backup', 'higher_priority_advert']);
    await report('lb1', 'MASTER');
    expect(await splits()).toBe(0);
    // lb1 crashes while master: its last MASTER report stays fresh; lb2 takes over and reports twice.
    await report('lb2', 'MASTER', ['backup', 'master', 'master_down_timer']);
    await report('lb2', 'MASTER');
    expect(await splits()).toBe(0);
    // A partition: lb1 is alive and takes over on its side; both keep reporting MASTER.
    await report('lb1', 'MASTER', ['master', 'backup', 'higher_priority_advert'], ['backup', 'master', 'master_down_timer']);
    expect(await splits()).toBe(0); // lb2's stored claim predates lb1's takeover
    await report('lb2', 'MASTER');
    expect(await splits()).toBe(1);
    const ev = (await must('GET', `/v1/events?cluster=${clusterId}&kind=vrrp.split_brain&instance=${I}`)).items[0];
    expect(ev.details.masters).toEqual(['lb1', 'lb2']);
    await report('lb1', 'MASTER');
    expect(await splits()).toBe(1); // once per episode
    // The partition heals: lb2 yields. The end of the episode is logged once, when the next
    // MASTER report finds a single master.
    const resolved = async () => (await must('GET', `/v1/events?cluster=${clusterId}&kind=vrrp.split_brain_resolved&instance=${I}`)).items as Array<{ details: { masters: string[] } }>;
    expect(await resolved()).toHaveLength(0);
    await report('lb2', 'BACKUP', ['master', 'backup', 'higher_priority_advert']);
    await report('lb1', 'MASTER');
    expect((await resolved()).map((e) => e.details.masters)).toEqual([['lb1', 'lb2']]);
    await report('lb1', 'MASTER');
    expect(await resolved()).toHaveLength(1);
    // A new partition is a new episode: logged again, and its end again.
    await report('lb2', 'MASTER', ['backup', 'master', 'master_down_timer']);
    await report('lb1', 'MASTER');
    await report('lb2', 'MASTER');
    expect(await splits()).toBe(2);
  });

  it('a split brain whose takeover event lands after the state that started it is logged once, and ends once', async () => {
    const I = 'VI_HYST';
    const st = (state: string) => ({ instances: [{ name: I, state }] });
    const seq = { lb1: 9500, lb2: 9500 } as Record<string, number>;
    const report = async (d: 'lb1' | 'lb2', state: string, ...evs: Array<[string, string, string]>) => {
      await must('POST', '/v1/agent/reports', { state: st(state), events: evs.map(([from, to, reason]) => ({ seq: ++seq[d]!, kind: 'vrrp.transition', instance: I, agentTime: new Date().toISOString(), details: { from, to, reason, priority: 100 } })) }, creds[d]);
      await new Promise((r) => setTimeout(r, 20));
    };
    const count = async (kind: string) => ((await must('GET', `/v1/events?cluster=${clusterId}&kind=${kind}&instance=${I}`)).items as unknown[]).length;
    await report('lb1', 'MASTER', ['backup', 'master', 'master_down_timer']);
    await report('lb2', 'BACKUP');
    // A partition: lb2 takes over; its state reaches the control plane before its takeover event.
    await report('lb2', 'MASTER');
    await report('lb1', 'MASTER');
    expect(await count('vrrp.split_brain')).toBe(1);
    // The event arrives, newer than lb1's last report: lb1's claim no longer counts by the
    // takeover order, but both still claim MASTER: the episode goes on (no end, no new start).
    await report('lb2', 'MASTER', ['backup', 'master', 'master_down_timer']);
    await report('lb1', 'MASTER');
    await report('lb2', 'MASTER');
    expect([await count('vrrp.split_brain'), await count('vrrp.split_brain_resolved')]).toEqual([1, 0]);
    // The partition heals: lb2 yields; the end is logged once.
    await report('lb2', 'BACKUP', ['master', 'backup', 'higher_priority_advert']);
    await report('lb1', 'MASTER');
    await report('lb1', 'MASTER');
    expect([await count('vrrp.split_brain'), await count('vrrp.split_brain_resolved')]).toEqual([1, 1]);
  });

  it('admin actions reach the agent through its config and are audited: maintenance, move mastership', async () => {
    const before = await t.call('GET', '/v1/agent/config', { token: creds.lb1 });
    const etag = before.headers.get('etag')!;
    const waiting = t.call('GET', '/v1/agent/config?wait=10', { token: creds.lb1, headers: { 'if-none-match': etag } });
    await new Promise((res) => setTimeout(res, 200));
    await must('PUT', `/v1/clusters/${clusterId}/directors/lb1/maintenance`, { on: true });
    const m = await waiting;
    expect(m.status).toBe(200);
    expect(m.headers.get('etag')).not.toBe(etag);
    expect(m.body).toMatchObject({ maintenance: true, config: { instances: {} } });
    expect((await t.call('GET', '/v1/agent/config', { token: creds.lb2 })).body.config.instances.VI_WEB).toBeDefined();
    await must('PUT', `/v1/clusters/${clusterId}/directors/lb1/maintenance`, { on: false });
    expect(Object.keys((await t.call('GET', '/v1/agent/config', { token: creds.lb1 })).body.config.instances)).toEqual(['VI_WEB']);

    await must('PUT', `/v1/clusters/${clusterId}/instances/VI_WEB/master`, { director: 'lb2' });
    expect((await t.call('GET', '/v1/agent/config', { token: creds.lb2 })).body.config.instances.VI_WEB.priority).toBe(254);
    expect((await t.call('GET', '/v1/agent/config', { token: creds.lb1 })).body.config.instances.VI_WEB.priority).toBe(150);
    await must('PUT', `/v1/clusters/${clusterId}/instances/VI_WEB/master`, { director: null });
    expect((await t.call('GET', '/v1/agent/config', { token: creds.lb2 })).body.config.instances.VI_WEB.priority).toBe(100);

    const bad = await t.call('PUT', `/v1/clusters/${clusterId}/instances/VI_NOPE/master`, { body: { director: 'lb2' } });
    expect(bad.status).toBe(404);
    const notMember = await t.call('PUT', `/v1/clusters/${clusterId}/instances/VI_WEB/master`, { body: { director: 'nope' } });
    expect(notMember.status).toBe(404);
    const audit = await must('GET', `/v1/events?cluster=${clusterId}&kind=director.maintenance`);
    expect(audit.items.map((e: { actor: string; details: { on: boolean } }) => [e.actor, e.details.on])).toEqual([['token:bootstrap-admin', true], ['token:bootstrap-admin', false]]);
  });

  it('keeps agent credentials and API tokens apart', async () => {
    expect((await t.call('GET', '/v1/sites', { token: creds.lb1 })).status).toBe(403);
    expect((await t.call('PUT', `/v1/clusters/${clusterId}/spec`, { token: creds.lb1, body: { spec: spec(53) } })).status).toBe(403);
    expect((await t.call('GET', '/v1/agent/config')).status).toBe(403); // the bootstrap admin token
    expect((await t.call('POST', '/v1/agent/reports', { body: { events: [] } })).status).toBe(403);
    expect((await t.call('POST', '/v1/agent/enroll', { token: creds.lb1, body: { cluster: 'web', director: 'x' } })).status).toBe(403);
    expect((await t.call('GET', '/v1/agent/config', { token: 'vga_forged' })).status).toBe(401);
    expect((await t.call('GET', '/v1/sites', { token: enrollSecret })).status).toBe(401); // used up
  });

  it('another event under a seq already stored is a conflict, not a duplicate: stored nowhere, named with the highest seq held, and stored once renumbered', async () => {
    // An agent whose state disk refused writes delivered seqs 20001-20003 from memory, restarted
    // with an outbox that still said last = 20000, and hands out 20001 and 20002 again.
    const ev = (seq: number, at: string) => ({ seq, kind: 'agent.started', agentTime: at, details: {} });
    const before = [ev(20001, '2026-11-29T11:00:00.000Z'), ev(20002, '2026-11-29T11:00:01.000Z'), ev(20003, '2026-11-29T11:00:02.000Z')];
    const first = await t.call('POST', '/v1/agent/reports', { token: creds.lb1, body: { events: before } });
    expect(first.body, JSON.stringify(first.body)).toMatchObject({ stored: 3, conflicts: [] });
    const after = [ev(20001, '2026-11-29T11:05:00.000Z'), ev(20002, '2026-11-29T11:00:01.000Z')];
    const r = await t.call('POST', '/v1/agent/reports', { token: creds.lb1, body: { events: after } });
    // 20002 is the very event stored before (a re-send): a duplicate; 20001 is another event.
    expect(r.body).toEqual({ acked: 20002, stored: 0, duplicates: 2, refused: [], conflicts: [20001], seqAbove: 20003 });
    const again = await t.call('POST', '/v1/agent/reports', { token: creds.lb1, body: { events: [ev(20004, '2026-11-29T11:05:00.000Z')] } });
    expect(again.body).toEqual({ acked: 20004, stored: 1, duplicates: 0, refused: [], conflicts: [], seqAbove: null });
    const evs = await must('GET', `/v1/events?cluster=${clusterId}&kind=agent.started`);
    const mine = evs.items.filter((e: { actor: string }) => e.actor === 'agent:lb1').map((e: { agentTime: string }) => e.agentTime).sort();
    expect(mine).toEqual(['2026-11-29T11:00:00.000Z', '2026-11-29T11:00:01.000Z', '2026-11-29T11:00:02.000Z', '2026-11-29T11:05:00.000Z']);
  });

});
