/**
 * What the dashboard needs from the control plane, on both drivers: the page and its files
 * (CSP and the other headers, a proxy's path prefix), the session cookie (HttpOnly,
 * SameSite=Strict, CSRF on writes, refused from other sites, ended by revoking the token), and
 * the read routes the views use: the paginated fleet map (freshness, split brain, drift with a
 * rejection, scoping), the timeline (failover cause and gap, outages, changes on the same axis)
 * and a cluster's running state (rollout, real servers, preferred master); the audit log's
 * actor filter.
 */
import { readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createApp } from '../../control-plane/src/app.ts';
import { createMetrics } from '../../control-plane/src/metrics.ts';
import { exampleClusterSpecInput } from '../../schema/src/spec/example.ts';
import { drivers } from '../support/db.ts';
import { testApp, type TestApp } from '../support/app.ts';

const spec = (vrid: number) => ({ ...exampleClusterSpecInput, vrrpInstances: { VI_WEB: { ...exampleClusterSpecInput.vrrpInstances.VI_WEB, virtualRouterId: vrid } } });
const pairSpec = (vrid: number, [a, b]: [string, string], vip: string) => ({
  version: 1,
  directors: { [a]: {}, [b]: {} },
  vrrpInstances: { VI_WEB: { interface: 'eth0', virtualRouterId: vrid, virtualIpAddresses: [vip], directors: { [a]: { priority: 150 }, [b]: { priority: 100 } } } },
});
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
const inst = (name: string, state: string, priority: number) => ({ name, state, priority, basePriority: priority, vips: [], vipsHeld: false, tracked: [], lastTransition: null });
const cookieOf = (h: Headers) => h.get('set-cookie') ?? '';

describe.each(drivers)('dashboard routes on %s', (driver) => {
  let t: TestApp;
  let web: string;
  let dns: string;
  let viewer: string;
  let operator: string;
  let betaViewer: string;
  const creds: Record<string, string> = {};
  const seq: Record<string, number> = {};

  async function must(method: string, path: string, body?: unknown, token?: string | null) {
    const r = await t.call(method, path, { body, ...(token !== undefined ? { token } : {}) });
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }
  async function report(director: string, body: { state?: unknown; appliedRevision?: number; events?: Array<Record<string, unknown>> }) {
    const events = (body.events ?? []).map((e) => ({ ...e, seq: (seq[director] = (seq[director] ?? 0) + 1) }));
    return must('POST', '/v1/agent/reports', { ...body, events }, creds[director]);
  }
  const transition = (instance: string, from: string, to: string, reason: string, at: string, lastAdvertAt: string | null = null) => ({ kind: 'vrrp.transition', instance, agentTime: at, details: { from, to, reason, priority: 100, lastAdvertAt } });

  beforeAll(async () => {
    t = await testApp(driver);
    await must('POST', '/v1/sites', { name: 'alpha' });
    await must('POST', '/v1/sites', { name: 'beta' });
    web = (await must('POST', '/v1/sites/alpha/clusters', { name: 'web' })).id;
    dns = (await must('POST', '/v1/sites/beta/clusters', { name: 'dns' })).id;
    for (const d of ['lb1', 'lb2']) await must('POST', `/v1/clusters/${web}/directors`, { name: d });
    for (const d of ['lb3', 'lb4']) await must('POST', `/v1/clusters/${dns}/directors`, { name: d });
    await must('PUT', `/v1/clusters/${web}/spec`, { spec: spec(51), message: 'first' });
    await must('PUT', `/v1/clusters/${dns}/spec`, { spec: pairSpec(61, ['lb3', 'lb4'], '198.51.100.53/24') });
    for (const [site, cluster, ds] of [['alpha', 'web', ['lb1', 'lb2']], ['beta', 'dns', ['lb3', 'lb4']]] as const) {
      const enroll = (await must('POST', `/v1/sites/${site}/enrollment-tokens`, { maxUses: 2 })).secret;
      for (const d of ds) creds[d] = (await must('POST', '/v1/agent/enroll', { cluster, director: d }, enroll)).credential;
    }
    viewer = (await must('POST', '/v1/tokens', { name: 'vic', role: 'viewer' })).secret;
    operator = (await must('POST', '/v1/tokens', { name: 'olga', role: 'operator' })).secret;
    betaViewer = (await must('POST', '/v1/tokens', { name: 'beta-only', role: 'viewer', site: 'beta' })).secret;
  });
  afterAll(async () => t?.close());

  describe('the page', () => {
    it('GET / is the dashboard: a strict CSP, no inline script, scripts and style from here', async () => {
      const r = await t.raw('/', { headers: { authorization: '' } });
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/^text\/html/);
      const csp = r.headers.get('content-security-policy') ?? '';
      for (const d of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "form-action 'none'", "require-trusted-types-for 'script'"]) expect(csp).toContain(d);
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('x-frame-options')).toBe('DENY');
      expect(r.headers.get('referrer-policy')).toBe('no-referrer');
      const html = await r.text();
      // Every script has a src on this origin; no inline handlers; nothing from elsewhere.
      expect([...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0])).toEqual([expect.stringMatching(/^<script type="module" src="ui\/[A-Za-z0-9_-]{12}\/app\.js">$/)]);
      expect(html).not.toMatch(/\son\w+=|javascript:|https?:\/\//);
      expect(html).not.toContain('<base');
    });

    it('preloads exactly what the first screen imports (app.js and its static imports), no more', async () => {
      const html = await (await t.raw('/')).text();
      const preloaded = [...html.matchAll(/<link rel="modulepreload" href="ui\/[A-Za-z0-9_-]{12}\/([^"]+)">/g)].map((m) => m[1]).sort();
      const root = join(import.meta.dirname, '../../control-plane/dashboard/ui');
      const seen = new Set<string>();
      const walk = (file: string) => {
        for (const m of readFileSync(join(root, file), 'utf8').matchAll(/^import [^'"]*from '(\.{1,2}\/[^']+)';$/gm)) {
          const dep = posix.normalize(posix.join(posix.dirname(file), m[1]!));
          if (!seen.has(dep)) { seen.add(dep); walk(dep); }
        }
      };
      walk('app.js');
      expect(preloaded).toEqual([...seen].sort());
      expect(preloaded).not.toContain('views/cluster.js'); // later views load when opened
    });

    it('serves the files under /ui/<version> with their types, cached for good; nothing else', async () => {
      const html = await (await t.raw('/')).text();
      const v = /src="ui\/([A-Za-z0-9_-]{12})\/app\.js"/.exec(html)![1];
      const js = await t.raw(`/ui/${v}/app.js`);
      expect(js.status).toBe(200);
      expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
      expect(js.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect((await t.raw('/')).headers.get('cache-control')).toBe('no-cache'); // the page itself is always asked for
      const etag = js.headers.get('etag')!;
      expect((await t.raw(`/ui/${v}/app.js`, { headers: { 'if-none-match': etag } })).status).toBe(304);
      expect((await t.raw(`/ui/${v}/app.css`)).headers.get('content-type')).toMatch(/^text\/css/);
      expect((await t.raw(`/ui/${v}/views/cluster.js`)).status).toBe(200);
      for (const p of [`/ui/${v}/types.d.ts`, `/ui/${v}/nope.js`, `/ui/${v}/%2e%2e/README.md`, '/ui/app.js', '/ui/0123456789ab/app.js']) expect((await t.raw(p)).status, p).toBe(404);
      // API answers cannot be rendered as a page either.
      expect((await t.raw('/v1/sites')).headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
    });

    it('behind a trusted proxy that strips a prefix, the page gets a <base> for it; anyone else\'s prefix, or a malformed one, is ignored', async () => {
      const proxied = createApp({ db: t.db, logger: pino({ level: 'silent' }), metrics: createMetrics(), audit: t.audit, sessions: t.sessions, ingest: t.ingest, install: { policy: { trustedProxies: ['10.0.0.0/8'], scheme: 'http' } } });
      const page = async (prefix: string, peer: string) => (await proxied.request('/', { headers: { 'x-forwarded-prefix': prefix } }, { incoming: { socket: { remoteAddress: peer } } })).text();
      expect(await page('/ops/vigil/', '10.1.2.3')).toContain('<base href="/ops/vigil/">');
      expect(await page('/ops/vigil/', '192.0.2.7')).not.toContain('<base');
      for (const bad of ['/x"><script>', 'http://evil/', '//evil', '/a b', '/../x', '/a/./b']) expect(await page(bad, '10.1.2.3'), bad).not.toContain('<base');
      // The session cookie follows: under the prefix, and Secure when the proxy says HTTPS.
      const signIn = (peer: string) => proxied.request('/v1/session', { method: 'POST', headers: { authorization: `Bearer ${operator}`, 'x-forwarded-prefix': '/ops', 'x-forwarded-proto': 'https' } }, { incoming: { socket: { remoteAddress: peer } } });
      const trusted = (await signIn('10.9.9.9')).headers.get('set-cookie') ?? '';
      expect(trusted).toMatch(/; Path=\/ops\/v1;/);
      expect(trusted).toMatch(/; Secure/);
      const untrusted = (await signIn('198.51.100.1')).headers.get('set-cookie') ?? '';
      expect(untrusted).toMatch(/; Path=\/v1;/);
      expect(untrusted).not.toMatch(/Secure/);
      // And the installer (so the onboarding command) points the agents under the prefix.
      const install = async (peer: string) => (await proxied.request('/install.sh', { headers: { host: 'cp.example:8080', 'x-forwarded-prefix': '/ops' } }, { incoming: { socket: { remoteAddress: peer } } })).text();
      expect(await install('10.1.1.1')).toContain("'http://cp.example:8080/ops'");
      expect(await install('192.0.2.1')).not.toContain('/ops');
    });
  });

  describe('the session', () => {
    it('sign-in trades the bearer token for an HttpOnly, SameSite=Strict cookie scoped to /v1, and is audited', async () => {
      const signIns = async () => (await must('GET', '/v1/events?kind=session.signed_in&actor=token:olga')).items.length as number;
      const before = await signIns();
      const r = await t.call('POST', '/v1/session', { token: operator });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body).toMatchObject({ name: 'olga', role: 'operator', site: null, via: 'bearer' });
      expect(r.body.csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const c = cookieOf(r.headers);
      expect(c).toMatch(/^vigil_session=vgl_[A-Za-z0-9_-]+;/);
      expect(c).toMatch(/; HttpOnly/);
      expect(c).toMatch(/; SameSite=Strict/);
      expect(c).toMatch(/; Path=\/v1(;|$)/);
      expect(c).toMatch(/; Max-Age=43200/);
      expect(c).not.toMatch(/Secure/);
      expect(await signIns()).toBe(before + 1);
    });

    it('sign-in needs a valid API token as the bearer: none, a bad one, an agent credential are refused', async () => {
      expect((await t.call('POST', '/v1/session', { token: null })).status).toBe(401);
      expect((await t.call('POST', '/v1/session', { token: 'vgl_not-a-real-token-000000' })).status).toBe(401);
      const agent = await t.call('POST', '/v1/session', { token: creds.lb1 });
      expect(agent.status).toBe(403);
      expect(cookieOf(agent.headers)).toBe('');
    });

    it('the cookie authenticates reads; writes need the CSRF header; another site\'s request is refused', async () => {
      const signIn = await t.call('POST', '/v1/session', { token: operator });
      const cookie = `vigil_session=${operator}`;
      const csrf = signIn.body.csrf as string;
      const who = await t.call('GET', '/v1/session', { token: null, headers: { cookie } });
      expect(who.body).toMatchObject({ name: 'olga', via: 'cookie', csrf });
      expect((await t.call('GET', `/v1/clusters/${web}/status`, { token: null, headers: { cookie, 'sec-fetch-site': 'same-origin' } })).status).toBe(200);
      const body = { on: false };
      const path = `/v1/clusters/${web}/directors/lb2/maintenance`;
      const noCsrf = await t.call('PUT', path, { token: null, body, headers: { cookie } });
      expect(noCsrf.status).toBe(403);
      expect(noCsrf.body.error.message).toMatch(/x-vigil-csrf/);
      expect((await t.call('PUT', path, { token: null, body, headers: { cookie, 'x-vigil-csrf': csrf.replace(/^./, (ch) => (ch === 'A' ? 'B' : 'A')) } })).status).toBe(403);
      const crossSite = await t.call('PUT', path, { token: null, body, headers: { cookie, 'x-vigil-csrf': csrf, 'sec-fetch-site': 'cross-site' } });
      expect(crossSite.status).toBe(403);
      expect((await t.call('GET', '/v1/sites', { token: null, headers: { cookie, 'sec-fetch-site': 'same-site' } })).status).toBe(403);
      const ok = await t.call('PUT', path, { token: null, body, headers: { cookie, 'x-vigil-csrf': csrf, 'sec-fetch-site': 'same-origin' } });
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);
      // The write is the token's, in the audit log.
      const logged = await must('GET', `/v1/events?cluster=${web}&kind=director.maintenance&order=desc&limit=1`);
      expect(logged.items[0].actor).toBe('token:olga');
      // A bearer request needs no CSRF value: a browser never sends one by itself.
      expect((await t.call('PUT', path, { token: operator, body })).status).toBe(200);
      // An agent credential is never taken from a cookie.
      expect((await t.call('GET', '/v1/session', { token: null, headers: { cookie: `vigil_session=${creds.lb1}` } })).status).toBe(401);
    });

    it('a viewer\'s cookie can read but not act: the role still decides', async () => {
      const csrf = (await t.call('POST', '/v1/session', { token: viewer })).body.csrf;
      const r = await t.call('PUT', `/v1/clusters/${web}/directors/lb1/maintenance`, { token: null, body: { on: true }, headers: { cookie: `vigil_session=${viewer}`, 'x-vigil-csrf': csrf } });
      expect(r.status).toBe(403);
      expect(r.body.error.message).toMatch(/operator role/);
    });

    it('revoking the token ends the session; sign-out clears the cookie and is audited', async () => {
      const minted = await must('POST', '/v1/tokens', { name: 'short-lived', role: 'viewer' });
      const cookie = `vigil_session=${minted.secret}`;
      await t.call('POST', '/v1/session', { token: minted.secret });
      const csrf = (await t.call('GET', '/v1/session', { token: null, headers: { cookie } })).body.csrf;
      const out = await t.call('DELETE', '/v1/session', { token: null, headers: { cookie, 'x-vigil-csrf': csrf } });
      expect(out.body).toEqual({ signedOut: true });
      expect(cookieOf(out.headers)).toMatch(/^vigil_session=; Max-Age=0; .*Path=\/v1/);
      expect((await must('GET', '/v1/events?kind=session.signed_out&actor=token:short-lived')).items).toHaveLength(1);
      await must('DELETE', `/v1/tokens/${minted.token.id}`);
      const after = await t.call('GET', '/v1/session', { token: null, headers: { cookie } });
      expect(after.status).toBe(401);
      expect(after.body.error.message).toMatch(/revoked/);
    });

    it('a scoped token says which site it is limited to', async () => {
      expect((await t.call('GET', '/v1/session', { token: betaViewer })).body).toMatchObject({ name: 'beta-only', role: 'viewer', site: { name: 'beta' }, via: 'bearer', csrf: null });
    });
  });

  describe('the fleet map', () => {
    beforeAll(async () => {
      await report('lb1', { appliedRevision: 1, state: { instances: [inst('VI_WEB', 'MASTER', 150)] }, events: [transition('VI_WEB', 'backup', 'master', 'master_down_timer', ago(60_000))] });
      await report('lb2', { appliedRevision: 1, state: { instances: [inst('VI_WEB', 'BACKUP', 100)] } });
      await report('lb3', { appliedRevision: 1, state: { instances: [inst('VI_WEB', 'MASTER', 150)] } });
      await report('lb4', { appliedRevision: 1, state: { instances: [inst('VI_WEB', 'MASTER', 100)] } });
    });

    it('shows each instance\'s master with its priorities and since when, and every split brain fleet-wide', async () => {
      const m = await must('GET', '/v1/fleet/map');
      expect(m.freshnessWindowMs).toBe(30_000);
      expect(m.summary).toMatchObject({ sites: 2, clusters: 2, directors: 4, enrolled: 4, fresh: 4, stale: 0, splitBrains: 1, instances: 2 });
      expect(m.splitBrains).toEqual([{ siteId: expect.any(String), site: 'beta', clusterId: dns, cluster: 'dns', instance: 'VI_WEB', masters: ['lb3', 'lb4'] }]);
      const w = m.items.find((c: { name: string }) => c.name === 'web');
      expect(w.instances[0]).toMatchObject({ name: 'VI_WEB', configured: true, master: { director: 'lb1', priority: 150, basePriority: 150 }, masters: ['lb1'], splitBrain: false, staleMasters: [] });
      expect(Date.parse(w.instances[0].master.since)).toBeLessThanOrEqual(Date.now() - 59_000);
      expect(w.directors.map((d: { name: string; fresh: boolean; drift: boolean }) => [d.name, d.fresh, d.drift])).toEqual([['lb1', true, false], ['lb2', true, false]]);
      expect(m.items.find((c: { name: string }) => c.name === 'dns').problems).toEqual(['split_brain']);
    });

    it('a silent director is stale: its last MASTER is not a master, the instance has none', async () => {
      await t.db.db.execute(sql`update directors set last_seen_at = now() - interval '31 seconds' where name = 'lb1'`);
      const m = await must('GET', '/v1/fleet/map?site=alpha');
      const w = m.items[0];
      expect(w.instances[0]).toMatchObject({ master: null, masters: [], staleMasters: ['lb1'] });
      expect(w.directors[0]).toMatchObject({ name: 'lb1', fresh: false });
      expect(w.directors[0].ageMs).toBeGreaterThanOrEqual(31_000);
      expect(w.problems).toEqual(['no_master', 'stale']);
      expect(m.summary).toMatchObject({ stale: 1, fresh: 3, withoutMaster: 1 });
      await report('lb1', {});
    });

    it('drift and a rejected revision with its reason', async () => {
      await must('PUT', `/v1/clusters/${web}/spec`, { spec: spec(52), message: 'new vrid' });
      await report('lb1', { appliedRevision: 2, events: [{ kind: 'config.applied', agentTime: ago(10), details: { revision: 2, version: 'rev-2' } }] });
      await report('lb2', { events: [{ kind: 'config.rejected', agentTime: ago(5), details: { revision: 2, version: 'rev-2', reason: 'interface eth9 does not exist; nothing was changed' } }] });
      const w = (await must('GET', '/v1/fleet/map?site=alpha')).items[0];
      expect(w.desiredRevision).toBe(2);
      expect(w.directors[0]).toMatchObject({ name: 'lb1', appliedRevision: 2, drift: false, rejected: null });
      expect(w.directors[1]).toMatchObject({ name: 'lb2', appliedRevision: 1, drift: true, rejected: { revision: 2, reason: 'interface eth9 does not exist; nothing was changed' } });
      expect(w.problems).toContain('drift');
    });

    it('pages, searches and filters; a scoped token sees only its site', async () => {
      const p1 = await must('GET', '/v1/fleet/map?pageSize=1');
      expect(p1.page).toEqual({ number: 1, pages: 2, pageSize: 1, total: 2 });
      expect(p1.items.map((c: { name: string }) => c.name)).toEqual(['web']); // alpha/web before beta/dns
      expect((await must('GET', '/v1/fleet/map?pageSize=1&page=2')).items.map((c: { name: string }) => c.name)).toEqual(['dns']);
      expect((await must('GET', '/v1/fleet/map?pageSize=1&page=9')).page.number).toBe(2);
      expect((await must('GET', '/v1/fleet/map?q=LB4')).items.map((c: { name: string }) => c.name)).toEqual(['dns']);
      expect((await must('GET', '/v1/fleet/map?q=nothing')).page.total).toBe(0);
      const scoped = await must('GET', '/v1/fleet/map', undefined, betaViewer);
      expect(scoped.summary.clusters).toBe(1);
      expect(JSON.stringify(scoped)).not.toContain('alpha');
      expect((await t.call('GET', '/v1/fleet/map?site=alpha', { token: betaViewer })).status).toBe(404);
      const bad = await t.call('GET', '/v1/fleet/map?pageSize=1000');
      expect(bad.status).toBe(400);
      expect(bad.body.error.details[0].path).toEqual(['query', 'pageSize']);
    });
  });

  describe('split brain', () => {
    let cache: string;
    beforeAll(async () => {
      cache = (await must('POST', '/v1/sites/alpha/clusters', { name: 'cache' })).id;
      for (const d of ['lb7', 'lb8']) await must('POST', `/v1/clusters/${cache}/directors`, { name: d });
      await must('PUT', `/v1/clusters/${cache}/spec`, { spec: pairSpec(63, ['lb7', 'lb8'], '192.0.2.63/24') });
      const enroll = (await must('POST', '/v1/sites/alpha/enrollment-tokens', { maxUses: 2 })).secret;
      for (const d of ['lb7', 'lb8']) creds[d] = (await must('POST', '/v1/agent/enroll', { cluster: 'cache', director: d }, enroll)).credential;
    });
    const cacheMap = async () => (await must('GET', '/v1/fleet/map?q=cache')).items[0].instances[0];
    const logged = async () => ((await must('GET', `/v1/events?cluster=${cache}&order=asc`)).items as Array<{ kind: string; details: { masters?: string[] } }>).filter((e) => e.kind.startsWith('vrrp.split_brain')).map((e) => `${e.kind} ${e.details.masters?.join('+')}`);

    it('a crashed master\'s last MASTER report does not make its peer\'s takeover a split brain', async () => {
      await report('lb7', { state: { instances: [inst('VI_WEB', 'MASTER', 150)] }, events: [transition('VI_WEB', 'backup', 'master', 'master_down_timer', ago(60_000))] });
      await report('lb8', { state: { instances: [inst('VI_WEB', 'BACKUP', 100)] } });
      // lb7 "crashes" (reports nothing more); lb8 takes over after it and says so.
      await new Promise((r) => setTimeout(r, 20));
      await report('lb8', { state: { instances: [inst('VI_WEB', 'MASTER', 100)] }, events: [transition('VI_WEB', 'backup', 'master', 'master_down_timer', new Date().toISOString())] });
      expect(await cacheMap()).toMatchObject({ master: { director: 'lb8' }, masters: ['lb8'], supersededMasters: ['lb7'], splitBrain: false });
      expect((await must('GET', `/v1/clusters/${cache}/status`)).instances[0]).toMatchObject({ master: 'lb8', supersededMasters: ['lb7'], splitBrain: false });
      expect(await logged()).toEqual([]);
    });

    it('once the first master reports MASTER again it is one: logged once per episode, resolved, and logged again next time', async () => {
      await report('lb7', { state: { instances: [inst('VI_WEB', 'MASTER', 150)] } });
      await report('lb8', { state: { instances: [inst('VI_WEB', 'MASTER', 100)] } });
      expect(await cacheMap()).toMatchObject({ master: null, masters: ['lb7', 'lb8'], splitBrain: true });
      expect(await logged()).toEqual(['vrrp.split_brain lb7+lb8']);
      await report('lb8', { state: { instances: [inst('VI_WEB', 'BACKUP', 100)] }, events: [transition('VI_WEB', 'master', 'backup', 'higher_priority_advert', new Date().toISOString())] });
      expect(await logged()).toEqual(['vrrp.split_brain lb7+lb8', 'vrrp.split_brain_resolved lb7+lb8']);
      await report('lb7', { state: { instances: [inst('VI_WEB', 'MASTER', 150)] } });
      expect(await logged()).toHaveLength(2); // nothing new while it stays resolved
      await report('lb8', { state: { instances: [inst('VI_WEB', 'MASTER', 100)] }, events: [transition('VI_WEB', 'backup', 'master', 'master_down_timer', new Date().toISOString())] });
      await report('lb7', { state: { instances: [inst('VI_WEB', 'MASTER', 150)] } });
      expect(await logged()).toEqual(['vrrp.split_brain lb7+lb8', 'vrrp.split_brain_resolved lb7+lb8', 'vrrp.split_brain lb7+lb8']);
    });
  });

  describe('the timeline', () => {
    let api: string;
    beforeAll(async () => {
      api = (await must('POST', '/v1/sites/beta/clusters', { name: 'api' })).id;
      for (const d of ['lb5', 'lb6']) await must('POST', `/v1/clusters/${api}/directors`, { name: d });
      await must('PUT', `/v1/clusters/${api}/spec`, { spec: pairSpec(62, ['lb5', 'lb6'], '198.51.100.80/24') });
      const enroll = (await must('POST', '/v1/sites/beta/enrollment-tokens', { maxUses: 2 })).secret;
      for (const d of ['lb5', 'lb6']) creds[d] = (await must('POST', '/v1/agent/enroll', { cluster: 'api', director: d }, enroll)).credential;
    });

    it('a crash failover with its gap and cause, the outage before it, and the changes on the same axis', async () => {
      const t0 = Date.now() - 20_000;
      const iso = (ms: number) => new Date(t0 + ms).toISOString();
      await report('lb5', { events: [transition('VI_WEB', 'backup', 'master', 'master_down_timer', iso(0))] });
      await report('lb6', { events: [transition('VI_WEB', 'backup', 'master', 'master_down_timer', iso(10_000), iso(9_640))] });
      // Then an operator puts the master in maintenance, and it leaves: the takeover is the maintenance's.
      await must('PUT', `/v1/clusters/${api}/directors/lb6/maintenance`, { on: true });
      // Agent times a little in the past, after the action: what the control plane receives is never clamped.
      await new Promise((r) => setTimeout(r, 50));
      const left = Date.now() - 20;
      await report('lb6', { events: [transition('VI_WEB', 'master', 'backup', 'shutdown', new Date(left).toISOString())] });
      await report('lb5', { events: [transition('VI_WEB', 'backup', 'master', 'priority_zero_received', new Date(left + 3).toISOString())] });
      const r = await must('GET', `/v1/timeline?cluster=${api}&since=${encodeURIComponent(iso(-5000))}`);
      expect(r.lanes).toHaveLength(1);
      const lane = r.lanes[0];
      expect(lane).toMatchObject({ site: 'beta', cluster: 'api', clusterId: api, instance: 'VI_WEB' });
      expect(lane.segments.map((s: { kind: string; holder: string | null }) => [s.kind, s.holder])).toEqual([['unknown', null], ['held', 'lb5'], ['outage', null], ['held', 'lb6'], ['outage', null], ['held', 'lb5']]);
      expect(Date.parse(lane.segments[2].to) - Date.parse(lane.segments[2].from)).toBe(360);
      expect(r.failovers.map((f: { oldMaster: string; newMaster: string; cause: string; gapMs: number }) => [f.oldMaster, f.newMaster, f.cause, f.gapMs])).toEqual([['lb6', 'lb5', 'maintenance', 3], ['lb5', 'lb6', 'master_down', 360]]);
      expect(r.markers.map((m: { kind: string }) => m.kind)).toContain('director.maintenance');
      expect(r.markers.find((m: { kind: string }) => m.kind === 'director.maintenance')).toMatchObject({ actor: 'token:bootstrap-admin', cluster: 'api', director: 'lb6' });
    });

    it('refuses a window that is backwards or too long, with the field named', async () => {
      const back = await t.call('GET', `/v1/timeline?since=${encodeURIComponent(ago(0))}&until=${encodeURIComponent(ago(60_000))}`);
      expect(back.status).toBe(400);
      expect(back.body.error.details[0].path).toEqual(['query', 'since']);
      expect((await t.call('GET', `/v1/timeline?since=${encodeURIComponent(ago(40 * 86_400_000))}`)).status).toBe(400);
      expect((await t.call('GET', '/v1/timeline?since=yesterday')).status).toBe(400);
      expect((await t.call('GET', `/v1/timeline?cluster=${web}`, { token: betaViewer })).status).toBe(404);
    });
  });

  describe('a cluster\'s running state', () => {
    it('rollout per director, the master, the preferred master, and real servers with since when', async () => {
      await must('PUT', `/v1/clusters/${web}/instances/VI_WEB/master`, { director: 'lb2' });
      const rs = { backend: 'nftables', realServers: [{ virtualServer: 'TCP 192.0.2.100:80', address: '192.0.2.21', port: 80, up: false, weight: 0, reason: 'connect ECONNREFUSED' }] };
      await report('lb1', { state: { instances: [inst('VI_WEB', 'MASTER', 150)], loadBalancer: rs } });
      const st = await must('GET', `/v1/clusters/${web}/status`);
      expect(st.cluster).toMatchObject({ id: web, name: 'web', site: { name: 'alpha' } });
      expect(st.desiredRevision).toBe(2);
      expect(st.directors.map((d: { name: string; rollout: { status: string } }) => [d.name, d.rollout.status])).toEqual([['lb1', 'current'], ['lb2', 'rejected']]);
      expect(st.directors[1].rollout.reason).toMatch(/eth9/);
      expect(st.instances[0]).toMatchObject({ name: 'VI_WEB', master: 'lb1', preferredMaster: 'lb2', splitBrain: false });
      expect(st.realServers).toEqual([expect.objectContaining({ director: 'lb1', virtualServer: 'TCP 192.0.2.100:80', address: '192.0.2.21', port: 80, up: false, reason: 'connect ECONNREFUSED', fresh: true })]);
      expect((await t.call('GET', `/v1/clusters/${web}/status`, { token: betaViewer })).status).toBe(404);
      expect((await t.call('GET', '/v1/clusters/00000000-0000-4000-8000-000000000000/status')).status).toBe(404);
    });
  });

  it('the audit log filters by actor', async () => {
    const r = await must('GET', '/v1/events?actor=agent:lb6&kind=vrrp.transition');
    expect(r.items.length).toBeGreaterThan(0);
    expect(r.items.every((e: { actor: string }) => e.actor === 'agent:lb6')).toBe(true);
    const csv = await t.raw('/v1/events/export?format=csv&actor=token:olga');
    const lines = (await csv.text()).trim().split('\n');
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.slice(1).every((l) => l.includes('token:olga'))).toBe(true);
  });
});
