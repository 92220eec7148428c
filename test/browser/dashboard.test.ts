/**
 * The dashboard in Debian's chromium against a real control plane (PGlite, as `npm start` runs
 * it) holding the demo fleet of support/seed.ts: data entered through the API as operators and
 * agents would, reports kept coming like agents send them. Proves the newcomer's first minute
 * (`npm start`, open the URL, sign in with the printed token), the sign-in's safety (cookie,
 * no token in any URL or storage, CSRF), the CSP and XSS-safe rendering, every view with a
 * screenshot, live updates without a reload (a director going stale turns grey, a split
 * brain raises the banner), role-aware actions with their confirmations and audit entries,
 * a proxy's path prefix, accessibility basics, and the first render with 1,000 directors.
 *
 * Screenshots go to test/browser/artifacts/ (git-ignored; every run rewrites them).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../control-plane/src/config.ts';
import { startControlPlane, type RunningControlPlane } from '../../control-plane/src/main.ts';
import { requireCapabilities } from '../support/capabilities.ts';
import { openBrowser, processCpuMs, screenshot, settled, watch, type OpenBrowser, type Watch } from './support/browser.ts';
import { Api, instanceState, keepReporting, report, seedDemo, seedScale, XSS, XSS_SCRIPT, type Demo } from './support/seed.ts';

const run = requireCapabilities('dashboard in chromium', ['chromium']);
const VIGIL = join(import.meta.dirname, '../../agent/bin/vigil.mjs');
const ADMIN = 'vgl_browser-test-bootstrap-admin-0123456789';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A control plane in this process, configured as `vigil control-plane` would be (PGlite under dataDir). */
const inProcess = (dataDir: string, args: string[] = []) => startControlPlane({ ...loadConfig(['--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, ...args], { VIGIL_BOOTSTRAP_TOKEN: ADMIN }), logLevel: 'warn' });

async function signIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(url);
  await page.locator('#token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('header.top').waitFor();
}

/** Visible text of the whole page (what a reader sees, markup never interpreted). */
const text = (page: Page) => page.locator('body').innerText();

describe.skipIf(!run)('the dashboard in chromium', () => {
  let cp: RunningControlPlane;
  let dataDir: string;
  let base: string;
  let api: Api;
  let demo: Demo;
  let browser: OpenBrowser;
  let stopReports: () => void = () => {};

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'vigil-dash-'));
    // The reverse proxy of the prefix test runs on this host: its forwarded headers are believed.
    cp = await inProcess(dataDir, ['--trusted-proxy', '127.0.0.1/32']);
    base = `http://127.0.0.1:${cp.port}`;
    api = new Api(base, ADMIN);
    demo = await seedDemo(api, cp.db);
    // Agents report every few seconds; lb3 stays silent (the stale master).
    stopReports = keepReporting(api, demo, ['lb1', 'lb2', 'lb4', 'lb5', 'lb6', 'lb7', 'lb8', 'lb9'], 3000);
    browser = await openBrowser();
  }, 300_000); // a fresh embedded database and the seed: under a minute alone, minutes when other suites load the machine

  afterAll(async () => {
    stopReports();
    await browser?.close();
    await sleep(700); // the server's live streams notice their clients left before the database closes
    await cp?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  async function freshPage(): Promise<{ page: Page; w: Watch }> {
    await browser.context.clearCookies();
    const page = await browser.context.newPage();
    return { page, w: await watch(page) };
  }
  const clean = (w: Watch) => expect({ errors: w.errors, dialogs: w.dialogs, csp: w.csp }).toEqual({ errors: [], dialogs: [], csp: [] });

  it('a newcomer: `npm start`, open the URL, see the sign-in page, sign in with the printed token', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-newcomer-'));
    const port = 20_000 + (process.pid % 20_000);
    // What `npm start -- --port P` runs (the package's start script), with its data under a temp dir.
    const child: ChildProcess = spawn(process.execPath, [VIGIL, 'control-plane', '--port', String(port), '--data-dir', join(dir, 'data')], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, VIGIL_BOOTSTRAP_TOKEN: '', LOG_LEVEL: 'warn' } });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const t0 = Date.now();
      while (!/vgl_[A-Za-z0-9_-]+/.test(out) || !out.includes('Dashboard: ')) {
        // A first start creates the embedded database: seconds alone, over a minute at load 20.
        if (Date.now() - t0 > 180_000 || child.exitCode !== null) throw new Error(`no token printed:\n${out}`);
        await sleep(100);
      }
      const token = /vgl_[A-Za-z0-9_-]+/.exec(out)![0];
      expect(out).toContain(`http://localhost:${port}/`);
      const { page, w } = await freshPage();
      const res = await page.goto(`http://localhost:${port}/`);
      expect(res!.status()).toBe(200);
      await page.getByRole('heading', { name: 'Sign in to Vigil' }).waitFor();
      expect(await page.locator('label[for="token"]').innerText()).toBe('API token');
      await screenshot(page, 'signin');
      await page.locator('#token').fill(token);
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'Fleet', level: 1 }).waitFor();
      await page.getByText('No clusters yet').waitFor();
      await screenshot(page, 'fleet-empty');
      clean(w);
      await page.close();
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);

  it('sign-in: the token goes once in a header, never into a URL or storage; the session is an HttpOnly SameSite=Strict cookie', async () => {
    const { page, w } = await freshPage();
    const urls: string[] = [];
    page.on('request', (r) => urls.push(r.url()));
    await page.goto(`${base}/`);
    await page.locator('#token').fill('vgl_this-is-not-a-valid-token-123456');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').innerText()).toMatch(/Sign-in refused: unknown token/);
    expect(await page.locator('#token').inputValue()).toBe(''); // cleared at once
    await signIn(page, `${base}/`, demo.tokens.operator);
    expect(urls.filter((u) => u.includes('vgl_'))).toEqual([]);
    expect(page.url()).not.toContain('vgl_');
    const cookies = await browser.context.cookies();
    expect(cookies).toEqual([expect.objectContaining({ name: 'vigil_session', httpOnly: true, sameSite: 'Strict', path: '/v1' })]);
    expect(await page.evaluate(() => ({ cookie: document.cookie, local: localStorage.length, session: sessionStorage.length }))).toEqual({ cookie: '', local: 0, session: 0 });
    // A write without the page's CSRF value is refused even with the cookie attached.
    const forged = await page.evaluate(async (url) => (await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"on":true}' })).status, `${base}/v1/clusters/${demo.clusters['par1/web']}/directors/lb2/maintenance`);
    expect(forged).toBe(403);
    clean(w);
    await page.close();
  });

  it('the CSP is sent and enforced: no inline script runs, HTML sinks throw (Trusted Types)', async () => {
    const { page, w } = await freshPage();
    const res = await page.goto(`${base}/`);
    const csp = res!.headers()['content-security-policy'];
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("require-trusted-types-for 'script'");
    expect(csp).not.toContain('unsafe-inline');
    const outcome = await page.evaluate(() => {
      const tried = (f: () => void) => {
        try {
          f();
          return 'done';
        } catch (e) {
          return (e as Error).name;
        }
      };
      const w = window as unknown as { __pwned?: string[] };
      w.__pwned = [];
      // An inline script three ways, an inline handler, and an HTML sink.
      const viaText = tried(() => { const s = document.createElement('script'); s.textContent = 'window.__pwned.push("text")'; document.body.appendChild(s); });
      const viaNode = tried(() => { const s = document.createElement('script'); s.appendChild(document.createTextNode('window.__pwned.push("node")')); document.body.appendChild(s); });
      const viaData = tried(() => { const s = document.createElement('script'); s.src = 'data:text/javascript,window.__pwned.push("data")'; document.body.appendChild(s); });
      const viaHandler = tried(() => { const b = document.createElement('button'); b.setAttribute('onclick', 'window.__pwned.push("handler")'); document.body.appendChild(b); b.click(); });
      const sink = tried(() => { document.body.innerHTML = '<img src=x>'; });
      return { viaText, viaNode, viaData, viaHandler, sink };
    });
    expect(outcome).toEqual({ viaText: 'TypeError', viaNode: 'done', viaData: 'TypeError', viaHandler: 'TypeError', sink: 'TypeError' });
    await sleep(300); // a blocked script would have run by now
    expect(await page.evaluate(() => (window as unknown as { __pwned: string[] }).__pwned)).toEqual([]);
    await expect.poll(() => w.csp.length).toBeGreaterThan(0);
    expect(w.csp.join('\n')).toMatch(/require-trusted-types-for|script-src/);
    await page.close();
  });

  it('the fleet map: masters with priorities, a stale master in grey, split brain banner, drift with the rejection; hostile names are text', async () => {
    const { page, w } = await freshPage();
    await signIn(page, `${base}/`, demo.tokens.operator);
    const web = page.locator('tbody[data-cluster="web"][data-site="par1"] tr[data-instance="VI_WEB"]');
    await expect.poll(() => web.locator('.master-cell').getAttribute('data-master')).toBe('lb1');
    expect(await web.locator('.prio').innerText()).toBe('150 / 150');
    expect(await web.locator('.since').innerText()).toMatch(/^1\d min ago$/);
    // lb3 said MASTER two minutes ago: grey, and not the master.
    const dns = page.locator('tbody[data-cluster="dns"]');
    expect(await dns.locator('li[data-director="lb3"]').getAttribute('data-freshness')).toBe('stale');
    expect(await dns.locator('.master-cell').innerText()).toMatch(/no fresh master[\s\S]*lb3: last report said MASTER, now stale/);
    const banner = page.locator('[data-split-brain="web/VI_1"]');
    expect(await banner.getAttribute('role')).toBe('alert');
    expect(await banner.innerText()).toMatch(/Split brain: fra1 \/ web instance VI_1: lb5 and lb6 all report MASTER/);
    const api1 = page.locator('tbody[data-cluster="api"]');
    expect(await api1.locator('li[data-director="lb8"] .badge.rejected').innerText()).toBe(`rejected r2: interface eth9 does not exist ${XSS_SCRIPT}; nothing was changed`);
    // Hostile text is shown as text: no element was made of it, no script ran.
    expect(await text(page)).toContain(XSS);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('main script').count()).toBe(0);
    await screenshot(page, 'fleet');
    clean(w);
    await page.close();
  });

  it('live: a master that stops reporting turns grey and loses the master cell, without a reload', async () => {
    const { page, w } = await freshPage();
    await signIn(page, `${base}/`, demo.tokens.operator);
    const row = page.locator('tbody[data-cluster="web"][data-site="par1"] tr[data-instance="VI_WEB"]');
    await expect.poll(() => row.locator('.master-cell').getAttribute('data-master')).toBe('lb1');
    await page.evaluate(() => { (window as unknown as { __same: boolean }).__same = true; });
    stopReports();
    // lb1's last report is now 29 s old; nothing is sent: the page must judge it stale by itself.
    await cp.db.db.execute(sql`update directors set last_seen_at = now() - interval '29 seconds' where cluster_id = ${demo.clusters['par1/web']!}`);
    stopReports = keepReporting(api, demo, ['lb4', 'lb5', 'lb6', 'lb7', 'lb8', 'lb9'], 3000);
    const t0 = Date.now();
    await row.locator('li[data-director="lb1"][data-freshness="stale"]').waitFor({ timeout: 10_000 });
    const greyAfter = Date.now() - t0;
    expect(await row.locator('.master-cell').getAttribute('data-master')).toBe('');
    expect(await row.locator('.master-cell').innerText()).toMatch(/no fresh master[\s\S]*lb1: last report said MASTER, now stale/);
    expect(greyAfter).toBeLessThan(5_000); // crossed the 30 s window about 1 s after the update
    expect(await page.evaluate(() => (window as unknown as { __same?: boolean }).__same)).toBe(true);
    await screenshot(page, 'fleet-stale-master');
    // It reports again: green again.
    stopReports();
    stopReports = keepReporting(api, demo, ['lb1', 'lb2', 'lb4', 'lb5', 'lb6', 'lb7', 'lb8', 'lb9'], 3000);
    await row.locator('li[data-director="lb1"][data-freshness="fresh"]').waitFor({ timeout: 10_000 });
    clean(w);
    await page.close();
  }, 60_000);

  it('live: a second master first reads as a takeover; once the first reports MASTER again it is a split brain, bannered within a second, without a reload', async () => {
    const { page, w } = await freshPage();
    await signIn(page, `${base}/`, demo.tokens.operator);
    const cell = page.locator('tbody[data-cluster="web"][data-site="par1"] tr[data-instance="VI_WEB"] .master-cell');
    await expect.poll(() => cell.getAttribute('data-master')).toBe('lb1');
    await page.evaluate(() => {
      const w = window as unknown as { __same: boolean; __banner: number | null };
      w.__same = true;
      w.__banner = null;
      new MutationObserver(() => { if (w.__banner === null && document.querySelector('[data-split-brain="web/VI_WEB"]')) w.__banner = Date.now(); }).observe(document.body, { subtree: true, childList: true, attributes: true });
    });
    stopReports(); // lb1 reports only when this test says so
    stopReports = keepReporting(api, demo, ['lb4', 'lb5', 'lb6', 'lb7', 'lb8', 'lb9'], 3000);
    await sleep(1000); // a report already on its way lands first
    // Whole states, as agents report them (their real servers too): only VI_WEB's state changes.
    const stateOf = (n: 'lb1' | 'lb2', st: string, p: number) => ({ ...(demo.agents[n]!.state as object), director: n, instances: [instanceState('VI_WEB', st, p, p, ['192.0.2.100/24'])] });
    const masterState = (n: 'lb1' | 'lb2', p: number) => stateOf(n, 'MASTER', p);
    await report(api, demo.agents.lb2!, { state: masterState('lb2', 100), events: [{ kind: 'vrrp.transition', instance: 'VI_WEB', agentTime: new Date().toISOString(), details: { from: 'backup', to: 'master', reason: 'master_down_timer', priority: 100, lastAdvertAt: null } }] });
    // lb1's last report is older than lb2's takeover: as after a crash, lb2 is the master.
    await expect.poll(() => cell.getAttribute('data-master')).toBe('lb2');
    expect(await cell.innerText()).toMatch(/lb1: last report said MASTER, before lb2 took over/);
    expect(await page.locator('[data-split-brain="web/VI_WEB"]').count()).toBe(0);
    // lb1 is alive and says MASTER again: now it is a split brain.
    await report(api, demo.agents.lb1!, { state: masterState('lb1', 150) });
    const banner = page.locator('[data-split-brain="web/VI_WEB"]');
    await banner.waitFor({ timeout: 5_000 });
    const logged = (await api.must('GET', `/v1/events?cluster=${demo.clusters['par1/web']}&kind=vrrp.split_brain&order=desc&limit=1`)).items[0];
    expect(logged.details.masters).toEqual(['lb1', 'lb2']);
    const shownAfter = (await page.evaluate(() => (window as unknown as { __banner: number }).__banner)) - Date.parse(logged.receivedAt);
    console.log(`split brain banner shown ${shownAfter} ms after the split brain was logged`);
    expect(shownAfter).toBeLessThan(1_000);
    expect(await banner.innerText()).toMatch(/par1 \/ web instance VI_WEB: lb1 and lb2 all report MASTER/);
    expect(await cell.innerText()).toMatch(/split brain: lb1 \+ lb2/);
    await screenshot(page, 'fleet-split-brain');
    await report(api, demo.agents.lb2!, { state: stateOf('lb2', 'BACKUP', 100), events: [{ kind: 'vrrp.transition', instance: 'VI_WEB', agentTime: new Date().toISOString(), details: { from: 'master', to: 'backup', reason: 'higher_priority_advert', priority: 100 } }] });
    await banner.waitFor({ state: 'detached', timeout: 5_000 });
    expect(await cell.getAttribute('data-master')).toBe('lb1');
    expect(await page.evaluate(() => (window as unknown as { __same?: boolean }).__same)).toBe(true);
    stopReports();
    stopReports = keepReporting(api, demo, ['lb1', 'lb2', 'lb4', 'lb5', 'lb6', 'lb7', 'lb8', 'lb9'], 3000);
    clean(w);
    await page.close();
  });

  it('the timeline: failovers with cause and gap, outages, and the changes on the same axis', async () => {
    const { page, w } = await freshPage();
    await signIn(page, `${base}/#/timeline`, demo.tokens.operator);
    await page.getByRole('heading', { name: 'Failover timeline' }).waitFor();
    const rows = page.locator('table.failovers tbody tr');
    await rows.first().waitFor();
    const crash = page.locator('table.failovers tr[data-old-master="lb1"][data-new-master="lb2"]').filter({ hasText: '3.6 s' });
    expect(await crash.innerText()).toMatch(/par1 \/ web\s+VI_WEB\s+lb1 → lb2\s+master down \(adverts stopped\)\s+3\.6 s/);
    expect(await page.locator('table.failovers tr[data-old-master="lb2"][data-new-master="lb1"]').first().innerText()).toMatch(/higher-priority advert/);
    // lb7's interface went down and came back: no other master, yet clients saw an outage.
    expect(await page.locator('table.failovers tr[data-kind="outage"]').innerText()).toMatch(/fra1 \/ api\s+VI_1\s+lb7 again, after an outage\s+interface\s+2\.4 s/);
    expect(await page.locator('g.lane[data-lane="api/VI_1"] g.seg').evaluateAll((gs) => gs.map((g) => `${g.getAttribute('class')}:${g.getAttribute('data-holder')}`))).toEqual(['seg seg-unknown:', 'seg seg-held:lb7', 'seg seg-outage:', 'seg seg-held:lb7']); // unknown until its first takeover, 35 min ago
    // The lane: lb1, an outage, lb2, lb1 again.
    const lane = page.locator('g.lane[data-lane="web/VI_WEB"]');
    expect(await lane.locator('g.seg').evaluateAll((gs) => gs.map((g) => `${g.getAttribute('class')}:${g.getAttribute('data-holder')}`))).toEqual(expect.arrayContaining(['seg seg-held:lb1', 'seg seg-outage:', 'seg seg-held:lb2']));
    expect(await page.locator('table.changes').innerText()).toMatch(/spec revision r2: move the API VIP/);
    expect(await page.locator('g.marker[data-kind="spec.revision_created"]').count()).toBeGreaterThan(0);
    await screenshot(page, 'timeline');
    clean(w);
    await page.close();
  });

  it('the cluster page: running state, real servers, the spec as tables, a revision diff', async () => {
    const { page, w } = await freshPage();
    await signIn(page, `${base}/#/clusters/${demo.clusters['par1/web']}`, demo.tokens.operator);
    await page.getByRole('heading', { name: 'par1 / web', level: 1 }).waitFor();
    const rs = page.locator('table.realservers tr[data-realserver="192.0.2.21:80"]').filter({ hasText: 'lb1' });
    expect(await rs.innerText()).toMatch(/down\s+0\s+HTTP_GET \/healthz: status 503/);
    expect(await page.locator('table.spec-instances').innerText()).toMatch(/VI_WEB\s+eth0\s+51\s+v3 \(global\)\s+1000 ms\s+192\.0\.2\.100\/24 dev eth0 label eth0:web\s+lb1: 150 \(MASTER\)\s+lb2: 100 \(BACKUP\)/);
    expect(await page.locator('table.spec-vs').innerText()).toMatch(/TCP 192\.0\.2\.100:80\s+wrr\s+DR\s+300 s\s+1\s+192\.0\.2\.50:80/);
    expect(await page.locator('table.quorum').innerText()).toMatch(/192\.0\.2\.50:80/);
    await screenshot(page, 'cluster');
    // fra1/api has two revisions: the diff names the VIP that moved.
    await page.goto(`${base}/#/clusters/${demo.clusters['fra1/api']}`);
    await page.getByRole('heading', { name: 'fra1 / api', level: 1 }).waitFor();
    await page.locator('#diff-from').selectOption('1');
    await page.locator('#diff-to').selectOption('2');
    await page.getByRole('button', { name: 'Show changes' }).click();
    const diff = page.locator('table.diff');
    await diff.waitFor();
    expect(await diff.innerText()).toMatch(/changed\s+vrrpInstances\.VI_1\.virtualIpAddresses\.0\.address\s+198\.51\.100\.20\/24\s+198\.51\.100\.21\/24/);
    expect(await page.locator('tr[data-director="lb8"] .rollout').innerText()).toMatch(/rejected r2 interface eth9 does not exist <script>/);
    await screenshot(page, 'cluster-diff');
    clean(w);
    await page.close();
  });

  it('a viewer sees no action controls, and the API refuses the action anyway', async () => {
    const { page, w } = await freshPage();
    await signIn(page, `${base}/#/clusters/${demo.clusters['par1/web']}`, demo.tokens.viewer);
    await page.locator('table.directors tr[data-director="lb1"]').waitFor();
    expect(await page.locator('[data-action]').count()).toBe(0);
    expect(await page.getByRole('button', { name: /maintenance|move|roll back/i }).count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Onboarding' }).count()).toBe(0);
    expect(await page.locator('.identity').innerText()).toBe('vic-viewer (viewer)');
    await screenshot(page, 'cluster-viewer');
    const status = await page.evaluate(async (url) => {
      const s = await (await fetch('v1/session')).json();
      return (await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json', 'x-vigil-csrf': s.csrf }, body: '{"on":true}' })).status;
    }, `v1/clusters/${demo.clusters['par1/web']}/directors/lb1/maintenance`);
    expect(status).toBe(403);
    await page.goto(`${base}/#/onboarding`);
    await page.getByRole('heading', { name: 'Not found' }).waitFor();
    clean(w);
    await page.close();
  });

  it('an operator acts through confirmations; each action lands in the audit log with the actor', async () => {
    const { page, w } = await freshPage();
    await signIn(page, `${base}/#/clusters/${demo.clusters['fra1/api']}`, demo.tokens.operator);
    await page.getByRole('heading', { name: 'fra1 / api', level: 1 }).waitFor();
    // Cancel changes nothing.
    await page.getByRole('button', { name: 'Maintenance for lb7…' }).click();
    const dialog = page.getByRole('dialog');
    expect(await dialog.innerText()).toMatch(/lb7 leaves every VRRP instance of fra1 \/ api gracefully[\s\S]*It is MASTER of VI_1 now: lb8 takes over[\s\S]*Recorded in the audit log as token:ops <img src=x onerror=alert\(1\)>/);
    await screenshot(page, 'confirm-maintenance');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect((await api.must('GET', `/v1/events?cluster=${demo.clusters['fra1/api']}&kind=director.maintenance`)).items).toEqual([]);
    // Roll back to r1: a new revision r3.
    await page.getByRole('button', { name: 'Roll back to r1…' }).click();
    expect(await dialog.innerText()).toMatch(/Roll fra1 \/ api back to r1\?[\s\S]*It changes 1 setting of the desired spec: vrrpInstances\.VI_1\.virtualIpAddresses\.0\.address/);
    await dialog.getByRole('button', { name: 'Roll back to r1' }).click();
    await page.locator('tr[data-revision="3"]').waitFor();
    expect(await page.locator('tr[data-revision="3"]').innerText()).toMatch(/r3\s*desired[\s\S]*token:ops <img src=x onerror=alert\(1\)>\s+rollback to revision 1/);
    // Move mastership of VI_1 to lb8.
    await page.locator('#move-VI_1').selectOption('lb8');
    await page.getByRole('button', { name: 'Move…' }).click();
    expect(await dialog.innerText()).toMatch(/lb8 runs VI_1 at priority 254 and preempts lb7/);
    await dialog.getByRole('button', { name: 'Move VI_1 to lb8' }).click();
    await expect.poll(() => page.locator('tr[data-instance="VI_1"]').innerText()).toMatch(/lb8/);
    // The row names lb8 in its move selector already: wait for the action in the audit log itself.
    const actions = async () => ((await api.must('GET', `/v1/events?cluster=${demo.clusters['fra1/api']}&order=desc&limit=50`)).items as Array<{ kind: string; actor: string }>)
      .filter((e) => ['instance.move_master', 'spec.rolled_back'].includes(e.kind)).map((e) => [e.kind, e.actor]);
    await expect.poll(actions, { timeout: 10_000 }).toEqual([['instance.move_master', `token:${demo.tokens.operatorName}`], ['spec.rolled_back', `token:${demo.tokens.operatorName}`]]);
    clean(w);
    await page.close();
  });

  it('the audit log: filters, live rows, and export links carrying the filters but no token', async () => {
    const { page, w } = await freshPage();
    await signIn(page, `${base}/#/audit`, demo.tokens.operator);
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    await page.locator('table.audit tbody tr').first().waitFor();
    await page.locator('#audit-site').selectOption('par1');
    await expect.poll(() => page.locator('#audit-cluster option').count()).toBeGreaterThan(1);
    await page.locator('#audit-cluster').selectOption({ label: 'web' });
    await page.locator('#audit-kind').selectOption('vrrp.transition');
    await page.locator('#audit-actor').fill('agent:lb2');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(async () => [...new Set(await page.locator('table.audit tbody tr').evaluateAll((rs) => rs.map((r) => `${r.getAttribute('data-kind')} ${r.getAttribute('data-actor')}`)))], { timeout: 5000 }).toEqual(['vrrp.transition agent:lb2']);
    const logged = (await api.must('GET', `/v1/events?cluster=${demo.clusters['par1/web']}&kind=vrrp.transition&actor=agent:lb2`)).items.length as number;
    expect(logged).toBeGreaterThanOrEqual(3);
    expect(await page.locator('table.audit tbody tr').count()).toBe(logged);
    expect(page.url()).toContain('actor=agent%3Alb2');
    const csvHref = await page.locator('a[data-export="csv"]').getAttribute('href');
    expect(csvHref).toMatch(/^v1\/events\/export\?site=par1&cluster=[0-9a-f-]+&kind=vrrp\.transition&actor=agent%3Alb2&format=csv$/);
    const csv = await page.evaluate(async (href) => (await fetch(href)).text(), csvHref!);
    expect(csv.trim().split('\n')).toHaveLength(logged + 1);
    // A new matching event appears at the top without a reload.
    await report(api, demo.agents.lb2!, { events: [{ kind: 'vrrp.transition', instance: 'VI_WEB', agentTime: new Date().toISOString(), details: { from: 'backup', to: 'fault', reason: 'interface_down', priority: 100 } }] });
    await expect.poll(() => page.locator('table.audit tbody tr').count(), { timeout: 5000 }).toBe(logged + 1);
    expect(await page.locator('table.audit tbody tr').first().innerText()).toMatch(/BACKUP → FAULT \(interface_down\)/);
    expect(await page.locator('.audit-status').innerText()).toBe(`${logged + 1} events shown (all of them).`);
    await screenshot(page, 'audit');
    // The operator's own actions, by actor, with the hostile name shown as text.
    await page.getByRole('button', { name: 'Reset' }).click();
    await page.locator('#audit-actor').fill(`token:${demo.tokens.operatorName}`);
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => page.locator('table.audit tbody tr[data-kind="spec.rolled_back"]').count()).toBe(1);
    expect(await page.locator('img').count()).toBe(0);
    // By director and time: lb1's events received since a moment, then up to it.
    const local = (ms: number) => page.evaluate((t) => new Date(t - new Date(t).getTimezoneOffset() * 60_000).toISOString().slice(0, 19), ms);
    const cut = Math.floor(Date.now() / 1000) * 1000; // the inputs hold whole seconds
    await sleep(1_100);
    await report(api, demo.agents.lb1!, { events: [{ kind: 'lb.realServer', agentTime: new Date().toISOString(), details: { virtualServer: 'TCP 192.0.2.100:80', realServer: '192.0.2.21:80', up: false, reason: 'audit_filter_probe' } }] });
    await page.getByRole('button', { name: 'Reset' }).click();
    await page.locator('#audit-site').selectOption('par1');
    await expect.poll(() => page.locator('#audit-cluster option').count()).toBeGreaterThan(1);
    await page.locator('#audit-cluster').selectOption({ label: 'web' });
    await page.locator('#audit-director').fill('lb1');
    await page.locator('#audit-since').fill(await local(cut));
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => page.locator('table.audit tbody tr').evaluateAll((rs) => rs.map((r) => `${r.getAttribute('data-director')} ${r.textContent?.includes('audit_filter_probe')}`))).toEqual(['lb1 true']);
    expect(await page.locator('a[data-export="ndjson"]').getAttribute('href')).toMatch(/director=lb1&since=/);
    await page.locator('#audit-since').fill('');
    await page.locator('#audit-until').fill(await local(cut));
    await page.getByRole('button', { name: 'Apply' }).click();
    const before = (await api.must('GET', `/v1/events?cluster=${demo.clusters['par1/web']}&director=lb1&until=${new Date(cut).toISOString()}&limit=500`)).items.length as number;
    expect(before).toBeGreaterThanOrEqual(3);
    await expect.poll(() => page.locator('table.audit tbody tr').evaluateAll((rs) => rs.map((r) => r.getAttribute('data-director')))).toEqual(Array.from({ length: before }, () => 'lb1'));
    expect(await page.locator('table.audit').innerText()).not.toContain('audit_filter_probe');
    clean(w);
    await page.close();
  });

  it('onboarding: an enrollment token and the exact install command, which works', async () => {
    const { page, w } = await freshPage();
    await signIn(page, `${base}/#/onboarding`, demo.tokens.operator);
    await page.getByRole('heading', { name: 'Onboarding', level: 1 }).waitFor();
    await page.locator('#ob-site').selectOption('par1');
    await expect.poll(() => page.locator('#ob-cluster option').allInnerTexts()).toEqual(['dns', 'web']);
    await page.locator('#ob-cluster').selectOption('web');
    // For a pair on keepalived today: the import of its files into the chosen cluster.
    await expect.poll(() => page.locator('#ob-import').innerText()).toBe(`vigil import lb1.conf lb2.conf --site 'par1' --cluster 'web' --api '${base}' --dry-run`);
    await api.must('POST', `/v1/clusters/${demo.clusters['par1/web']}/directors`, { name: 'lb10' });
    await page.locator('#ob-director').fill('lb10');
    await page.getByRole('button', { name: 'Create enrollment token' }).click();
    const cmd = page.locator('#ob-command');
    await cmd.waitFor();
    const command = await cmd.innerText();
    const m = /^curl -fsSL '(http:\/\/127\.0\.0\.1:\d+\/install\.sh)' -o vigil-install\.sh && echo '([0-9a-f]{64}) {2}vigil-install\.sh' \| sha256sum -c - && printf '%s\\n' '(vge_[A-Za-z0-9_-]+)' \| sh vigil-install\.sh --token-stdin --cluster 'web' --director 'lb10'$/.exec(command);
    expect(m, command).not.toBeNull();
    expect(await page.locator('#ob-secret').innerText()).toBe(m![3]);
    await screenshot(page, 'onboarding');
    // The script is there with the checksum the command checks, and the token enrolls lb10.
    const script = await (await fetch(m![1]!)).text();
    expect(createHash('sha256').update(script).digest('hex')).toBe(m![2]);
    expect(script).toContain(`'${base}'`);
    const enrolled = await api.call('POST', '/v1/agent/enroll', { cluster: 'web', director: 'lb10' }, m![3]);
    expect(enrolled.status, JSON.stringify(enrolled.body)).toBe(201);
    clean(w);
    await page.close();
  });

  it('behind a reverse proxy under /vigil/: the page, its API calls, the live stream and the cookie stay under the prefix', async () => {
    const proxy: Server = createServer((req, res) => {
      if (!req.url?.startsWith('/vigil/')) {
        res.writeHead(404).end('not here');
        return;
      }
      const up = request({ host: '127.0.0.1', port: cp.port, method: req.method, path: req.url.slice('/vigil'.length), headers: { ...req.headers, 'x-forwarded-prefix': '/vigil', 'x-forwarded-host': req.headers.host } }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.writeHead(502).end());
      req.pipe(up);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const port = (proxy.address() as AddressInfo).port;
    try {
      const { page, w } = await freshPage();
      const seen: string[] = [];
      page.on('request', (r) => seen.push(new URL(r.url()).pathname));
      await signIn(page, `http://127.0.0.1:${port}/vigil/`, demo.tokens.operator);
      await page.locator('table.fleet').waitFor();
      await expect.poll(() => page.locator('.live').innerText()).toBe('Live');
      expect(seen.filter((p) => !p.startsWith('/vigil/'))).toEqual([]);
      expect(seen).toEqual(expect.arrayContaining([expect.stringMatching(/^\/vigil\/ui\/[A-Za-z0-9_-]{12}\/app\.js$/), '/vigil/v1/session', '/vigil/v1/fleet/map', '/vigil/v1/events/stream']));
      expect((await browser.context.cookies()).map((c) => [c.name, c.path])).toEqual([['vigil_session', '/vigil/v1']]);
      await page.goto(`http://127.0.0.1:${port}/vigil/#/onboarding`);
      await page.locator('#ob-site').selectOption('par1');
      await expect.poll(() => page.locator('#ob-cluster option').allInnerTexts()).toEqual(['dns', 'web']);
      await page.locator('#ob-cluster').selectOption('web');
      await page.locator('#ob-director').fill('lb2');
      await page.getByRole('button', { name: 'Create enrollment token' }).click();
      await page.locator('#ob-command').waitFor();
      expect(await page.locator('#ob-command').innerText()).toContain(`'http://127.0.0.1:${port}/vigil/install.sh'`);
      clean(w);
      await page.close();
    } finally {
      proxy.closeAllConnections();
      await new Promise((r) => proxy.close(r));
    }
  });

  it('accessibility basics: one h1 per view, labelled controls, actions reachable and operable by keyboard', async () => {
    const { page, w } = await freshPage();
    await signIn(page, `${base}/`, demo.tokens.operator);
    const views = ['#/fleet', '#/timeline', `#/clusters/${demo.clusters['par1/web']}`, '#/audit', '#/onboarding'];
    for (const v of views) {
      await page.goto(`${base}/${v}`);
      await page.locator('main h1').first().waitFor();
      await sleep(500);
      const report = await page.evaluate(() => {
        const unlabelled = Array.from(document.querySelectorAll('input, select, textarea'))
          .filter((el) => (el as HTMLInputElement).type !== 'hidden')
          .filter((el) => !((el as HTMLInputElement).labels?.length || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')))
          .map((el) => el.outerHTML.slice(0, 80));
        const unnamedButtons = Array.from(document.querySelectorAll('button')).filter((b) => !b.textContent?.trim() && !b.getAttribute('aria-label')).length;
        const levels = Array.from(document.querySelectorAll('main h1, main h2, main h3')).map((h) => Number(h.tagName[1]));
        const skipped = levels.some((l, i) => i > 0 && l > levels[i - 1]! + 1);
        return { h1: document.querySelectorAll('h1').length, unlabelled, unnamedButtons, skipped, lang: document.documentElement.lang, nav: !!document.querySelector('nav[aria-label]') };
      });
      expect(report, v).toEqual({ h1: 1, unlabelled: [], unnamedButtons: 0, skipped: false, lang: 'en', nav: true });
    }
    // From the top of the cluster page, Tab reaches the maintenance action; Enter opens the
    // confirmation with focus on Cancel; Escape closes it and focus returns to the button.
    await page.goto(`${base}/#/clusters/${demo.clusters['par1/web']}`);
    await page.locator('button[data-action="maintenance"]').first().waitFor();
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    let reached = false;
    for (let i = 0; i < 60 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => document.activeElement?.getAttribute('data-action') === 'maintenance');
    }
    expect(reached).toBe(true);
    const label = await page.evaluate(() => document.activeElement?.textContent);
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor();
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Cancel');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe(label);
    // The focus ring is visible (an outline on :focus-visible).
    expect(await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).toBe('solid');
    clean(w);
    await page.close();
  }, 60_000);
});

describe.skipIf(!run)('the dashboard with 1,000 directors', () => {
  let child: ChildProcess | undefined;
  let dataDir: string;
  let browser: OpenBrowser;
  let base: string;

  beforeAll(async () => {
    // Seeded in-process, then served by its own process, as `npm start` serves it: the page's
    // requests do not share an event loop with this test's chromium traffic.
    dataDir = mkdtempSync(join(tmpdir(), 'vigil-dash-scale-'));
    const seeding = await inProcess(dataDir);
    expect(await seedScale(seeding.db, { sites: 10, clustersPerSite: 50, directorsPerCluster: 2, events: 2000, freshForMs: 240_000 })).toBe(1000);
    await seeding.stop();
    const port = 20_000 + ((process.pid + 7) % 20_000);
    base = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, [VIGIL, 'control-plane', '--port', String(port), '--host', '127.0.0.1', '--data-dir', dataDir], { stdio: 'ignore', env: { ...process.env, VIGIL_BOOTSTRAP_TOKEN: ADMIN, LOG_LEVEL: 'warn' } });
    const api = new Api(base, ADMIN);
    for (let i = 0; ; i++) {
      if ((await api.call('GET', '/v1/session').catch(() => ({ status: 0 }))).status === 200) break;
      if (i > 300 || child.exitCode !== null) throw new Error('the control plane did not come up');
      await sleep(100);
    }
    browser = await openBrowser();
  }, 600_000); // 1,000 directors and 2,000 chained events seeded, then a control plane started: a minute alone, many at load 20
  afterAll(async () => {
    await browser?.close();
    if (child && child.exitCode === null) {
      const c = child;
      await new Promise((r) => { c.once('exit', r); c.kill('SIGTERM'); });
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('the fleet map\'s first render with 1,000 directors is measured (the control plane\'s part under 200 ms of CPU), and it pages through all 500 clusters', async () => {
    const page = await browser.context.newPage();
    const w = await watch(page);
    await signIn(page, `${base}/`, ADMIN);
    await page.locator('table.fleet').waitFor();
    // From navigation start to the first page of the map drawn (the view's performance mark):
    // the document, its scripts, the session check, GET /v1/fleet/map and the drawing. Each run
    // is a real reload (same origin, warm cache as for an operator who keeps the tab). Beside
    // the wall time, the CPU the control plane used for it (all its threads, from /proc): what
    // the thousand directors in the database cost, whatever else this shared machine runs.
    await settled(child!.pid!); // a control plane just started verifies the audit chain for its first checkpoint
    const times: number[] = [];
    const serverCpu: number[] = [];
    const browserCpu: number[] = [];
    const phases: string[] = [];
    for (let i = 0; i < 7; i++) {
      const [s0, b0] = [processCpuMs(child!.pid!), browser.cpuMs()];
      await page.reload({ waitUntil: 'commit' });
      await page.waitForFunction(() => performance.getEntriesByName('vigil:fleet-rendered').length > 0, null, { timeout: 20_000 });
      serverCpu.push(Math.round(processCpuMs(child!.pid!) - s0));
      browserCpu.push(Math.round(browser.cpuMs() - b0));
      const marks = await page.evaluate(() => Object.fromEntries(['vigil:boot', 'vigil:fleet-data', 'vigil:fleet-rendered'].map((n) => [n.slice(6), Math.round(performance.getEntriesByName(n)[0]?.startTime ?? -1)])));
      times.push(marks['fleet-rendered']!);
      phases.push(`scripts run at ${marks.boot} ms, data at ${marks['fleet-data']} ms, drawn at ${marks['fleet-rendered']} ms`);
    }
    // What any page load costs this headless, software-rendering chromium (driven over CDP):
    // reloading a static document of the same server.
    const icon = await page.evaluate(() => (document.querySelector('link[rel="icon"]') as HTMLLinkElement).href);
    expect((await page.goto(icon))!.status()).toBe(200);
    const plain: number[] = [];
    for (let i = 0; i < 5; i++) {
      const b0 = browser.cpuMs();
      await page.reload();
      plain.push(Math.round(browser.cpuMs() - b0));
    }
    const mid = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const best = Math.min(...times);
    const [load, cores] = [loadavg()[0]!, cpus().length];
    console.log([
      `first render with 1,000 directors: ${times.join(', ')} ms (best ${best}, median ${mid(times)}); best run: ${phases[times.indexOf(best)]}`,
      `  control plane CPU per render: ${serverCpu.join(', ')} ms (median ${mid(serverCpu)}); chromium CPU per render: ${browserCpu.join(', ')} ms (median ${mid(browserCpu)}; a static document's reload: median ${mid(plain)})`,
      `  load average ${load.toFixed(1)} on ${cores} cores`,
    ].join('\n'));
    expect(mid(serverCpu)).toBeLessThan(200);
    // The wall-time floor (under 200 ms) is the dashboard benchmark's to judge, on a quiet machine
    // (`npm run bench -- dashboard`): here other suites and CI neighbours share two cores, and a
    // timed assertion would flake (one CI run drew 219–302 ms at load 1.5, the bench 154–184 ms).
    await page.goto(`${base}/#/fleet`);
    await page.locator('table.fleet').waitFor();
    expect(await page.locator('table.fleet caption').innerText()).toBe('Clusters 1–50 of 500');
    expect(await page.locator('table.fleet tbody').count()).toBe(50);
    expect(await page.locator('.tiles').innerText()).toMatch(/1000\s+Directors\s+1000 fresh · 0 stale/);
    await screenshot(page, 'fleet-1000');
    await page.getByRole('button', { name: 'Next →' }).click();
    await expect.poll(() => page.locator('table.fleet caption').innerText()).toBe('Clusters 51–100 of 500');
    await page.locator('#fleet-q').fill('scale-007');
    await expect.poll(() => page.locator('table.fleet caption').innerText()).toBe('Clusters 1–50 of 50');
    expect(w.errors).toEqual([]);
    await page.close();
  }, 120_000);
});
