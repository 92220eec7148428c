/**
 * `npm run bench -- dashboard [--directors=1000] [--requests=40]`: the dashboard's first screen
 * with a large fleet in the database (10 sites, 2 directors per cluster, reported states and
 * 2,000 transitions of history), on PGlite (what `npm start` runs) and on a real PostgreSQL.
 * The control plane runs in its own process, as `npm start` runs it, seeded beforehand.
 *
 *   API   over HTTP on loopback, one request at a time: p50/p99 latency and the control
 *         plane's CPU time per request (from /proc, so other load on the machine does not
 *         count) for GET /v1/session and GET /v1/fleet/map (the first page: 50 clusters),
 *         the two requests the first screen makes, and for GET /v1/timeline (last hour,
 *         fleet-wide) and GET /v1/clusters/{id}/status, the next screens;
 *   page  when /usr/bin/chromium exists: navigation start → fleet map drawn (the page's own
 *         performance mark), best and median of 9 reloads, with the machine's load average;
 *   live  an agent's report of a takeover (POST /v1/agent/reports, a director enrolled through
 *         the API in a cluster on the map's first page) → the open fleet map shows the new
 *         master, no reload: p50/p99/max of 20 flips, the two stamps from this host's one clock.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Page } from 'playwright-core';
import { loadConfig } from '../../control-plane/src/config.ts';
import { startControlPlane } from '../../control-plane/src/main.ts';
import { missingCapabilities } from '../support/capabilities.ts';
import { startPostgres } from '../support/postgres-server.ts';
import { openBrowser, settled } from '../browser/support/browser.ts';
import { Api, enroll, instanceState, report, seedScale, twoDirectorSpec, type AgentSim } from '../browser/support/seed.ts';

const TOKEN = 'vgl_bench-dashboard-admin-0123456789abcdef';
const VIGIL = join(import.meta.dirname, '../../agent/bin/vigil.mjs');
const CLK_TCK = 100; // Linux USER_HZ
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

/** utime + stime of a process (all its threads: PGlite runs on a worker thread), in ms. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}

async function serve(dbArgs: string[]): Promise<{ child: ChildProcess; base: string; stop(): Promise<void> }> {
  const port = 21_000 + (process.pid % 9_000);
  const child = spawn(process.execPath, [VIGIL, 'control-plane', '--host', '127.0.0.1', '--port', String(port), ...dbArgs], { stdio: 'ignore', env: { ...process.env, VIGIL_BOOTSTRAP_TOKEN: TOKEN, LOG_LEVEL: 'warn' } });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const ok = await fetch(`${base}/v1/session`, { headers: { authorization: `Bearer ${TOKEN}` } }).then((r) => r.status === 200, () => false);
    if (ok) break;
    if (i > 600 || child.exitCode !== null) throw new Error('the control plane did not come up');
    await sleep(100);
  }
  return { child, base, stop: () => new Promise((r) => { child.once('exit', () => r()); child.kill('SIGTERM'); }) };
}

async function api(label: string, base: string, pid: number, requests: number): Promise<string[]> {
  const auth = { authorization: `Bearer ${TOKEN}` };
  const map = await (await fetch(`${base}/v1/fleet/map?pageSize=50`, { headers: auth })).json() as { items: Array<{ id: string }>; summary: { directors: number } };
  const cases: Array<[string, string]> = [
    ['GET /v1/session', '/v1/session'],
    ['GET /v1/fleet/map (page 1)', '/v1/fleet/map?page=1&pageSize=50'],
    ['GET /v1/timeline (1 h)', '/v1/timeline'],
    ['GET /v1/clusters/{id}/status', `/v1/clusters/${map.items[0]!.id}/status`],
  ];
  const rows: string[] = [];
  for (const [name, path] of cases) {
    for (let i = 0; i < 3; i++) await (await fetch(base + path, { headers: auth })).arrayBuffer(); // warm-up
    const lat: number[] = [];
    let bytes = 0;
    const c0 = cpuMs(pid);
    for (let i = 0; i < requests; i++) {
      const t = performance.now();
      const r = await fetch(base + path, { headers: auth });
      bytes = (await r.arrayBuffer()).byteLength;
      if (r.status !== 200) throw new Error(`${path}: ${r.status}`);
      lat.push(performance.now() - t);
    }
    const cpu = (cpuMs(pid) - c0) / requests;
    lat.sort((a, b) => a - b);
    rows.push(`| ${label.padEnd(8)} | ${name.padEnd(30)} | ${pct(lat, 50).toFixed(1).padStart(7)} | ${pct(lat, 99).toFixed(1).padStart(7)} | ${cpu.toFixed(1).padStart(10)} | ${(bytes / 1024).toFixed(0).padStart(5)} KiB |`);
  }
  return rows;
}

async function page(base: string): Promise<string> {
  const b = await openBrowser();
  try {
    const p = await b.context.newPage();
    await p.goto(`${base}/`);
    await p.locator('#token').fill(TOKEN);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.locator('table.fleet').waitFor();
    const runs: Array<{ rendered: number; phases: string }> = [];
    for (let i = 0; i < 9; i++) {
      await p.reload({ waitUntil: 'commit' });
      await p.waitForFunction(() => performance.getEntriesByName('vigil:fleet-rendered').length > 0, null, { timeout: 20_000 });
      // Where the time went: the document, the scripts, the boot, the two API answers.
      // (A string, not a function: tsx names inner functions with a helper the page lacks.)
      runs.push(await p.evaluate(`(() => {
        const at = (n) => performance.getEntriesByName(n)[0]?.startTime ?? NaN;
        const res = performance.getEntriesByType('resource');
        const end = (part) => { const xs = res.filter((r) => r.name.includes(part)).map((r) => r.responseEnd); return xs.length ? Math.max(...xs) : NaN; };
        const nav = performance.getEntriesByType('navigation')[0];
        const map = res.find((r) => r.name.includes('/v1/fleet/map'));
        const f = (x) => x.toFixed(0);
        return {
          rendered: at('vigil:fleet-rendered'),
          phases: 'document ' + f(nav.responseEnd) + ', scripts ' + f(end('/ui/')) + ', boot ' + f(at('vigil:boot')) + ', fleet map asked ' + f(map?.startTime ?? NaN) + ' answered ' + f(map?.responseEnd ?? NaN) + ', session ' + f(end('/v1/session')) + ', drawn ' + f(at('vigil:fleet-rendered')),
        };
      })()`) as { rendered: number; phases: string });
    }
    runs.sort((a, b) => a.rendered - b.rendered);
    const first = `best ${runs[0]!.rendered.toFixed(0)} ms, median ${runs[4]!.rendered.toFixed(0)} ms (9 reloads; load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores)\n    the median reload, ms from navigation start: ${runs[4]!.phases}`;
    return `${first}\n    live: ${await live(base, p)}`;
  } finally {
    await b.close();
  }
}

/**
 * Report → screen: two directors enrolled through the API take VI_1 from each other, each
 * takeover reported as an agent reports it; the page stamps (MutationObserver, Date.now) when
 * its fleet map names the new master. 'bench-live' sorts before the seeded 'scale-*' sites, so
 * the cluster is on the first page the map refetches with the whole fleet in the database.
 */
async function live(base: string, p: Page): Promise<string> {
  const api = new Api(base, TOKEN);
  if ((await api.call('GET', '/v1/sites/bench-live')).status === 404) await api.must('POST', '/v1/sites', { name: 'bench-live' });
  const c = await api.must('POST', '/v1/sites/bench-live/clusters', { name: `flip${process.pid}` });
  const names: [string, string] = ['lb1', 'lb2'];
  for (const d of names) await api.must('POST', `/v1/clusters/${c.id}/directors`, { name: d });
  await api.must('PUT', `/v1/clusters/${c.id}/spec`, { spec: twoDirectorSpec(names, 90, '203.0.113.90/24'), message: 'bench live' });
  const agents: Record<string, AgentSim> = {};
  for (const d of names) agents[d] = { credential: await enroll(api, 'bench-live', c.name, d), seq: 0 };
  const state = (d: string, st: string) => ({ director: d, instances: [instanceState('VI_1', st, d === 'lb1' ? 150 : 100, d === 'lb1' ? 150 : 100, ['203.0.113.90/24'])] });
  const takeover = (d: string, from: string, to: string, reason: string) => ({ kind: 'vrrp.transition', instance: 'VI_1', agentTime: new Date().toISOString(), details: { from, to, reason, priority: d === 'lb1' ? 150 : 100, lastAdvertAt: null } });
  await report(api, agents.lb1!, { appliedRevision: 1, state: state('lb1', 'MASTER'), events: [takeover('lb1', 'backup', 'master', 'master_down_timer')] });
  await report(api, agents.lb2!, { appliedRevision: 1, state: state('lb2', 'BACKUP') });
  await p.goto(`${base}/#/fleet`);
  const cell = (d: string) => `tbody[data-cluster="${c.name}"] tr[data-instance="VI_1"] .master-cell[data-master="${d}"]`;
  await p.locator(cell('lb1')).waitFor({ timeout: 20_000 });
  await p.evaluate(() => { (window as unknown as { __noReload: boolean }).__noReload = true; });
  const lat: number[] = [];
  for (let i = 0; i < 20; i++) {
    const [next, prev] = i % 2 === 0 ? ['lb2', 'lb1'] : ['lb1', 'lb2'];
    await p.evaluate((sel) => {
      const w = window as unknown as { __shown: number | null };
      w.__shown = null;
      const o = new MutationObserver(() => {
        if (document.querySelector(sel)) { w.__shown = Date.now(); o.disconnect(); }
      });
      o.observe(document.body, { subtree: true, childList: true, attributes: true });
    }, cell(next!));
    const sent = Date.now();
    await report(api, agents[next!]!, { state: state(next!, 'MASTER'), events: [takeover(next!, 'backup', 'master', next === 'lb1' ? 'preempt' : 'master_down_timer')] });
    await p.waitForFunction(() => (window as unknown as { __shown: number | null }).__shown !== null, null, { timeout: 20_000 });
    lat.push((await p.evaluate(() => (window as unknown as { __shown: number }).__shown)) - sent);
    await report(api, agents[prev!]!, { state: state(prev!, 'BACKUP'), events: [takeover(prev!, 'master', 'backup', 'higher_priority_advert')] });
    await sleep(300);
  }
  if (!(await p.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload))) throw new Error('the page reloaded during the live measurement');
  lat.sort((a, b) => a - b);
  return `an agent's takeover report → the fleet map shows the new master: p50 ${pct(lat, 50)} ms, p99 ${pct(lat, 99)} ms, max ${lat.at(-1)} ms (20 flips, no reload)`;
}

export async function run(args: string[]): Promise<void> {
  const directors = Number(args.find((a) => a.startsWith('--directors='))?.split('=')[1] ?? 1000);
  const requests = Number(args.find((a) => a.startsWith('--requests='))?.split('=')[1] ?? 40);
  if (!Number.isInteger(directors) || directors < 20 || directors % 20 !== 0) throw new Error('--directors must be a multiple of 20 (10 sites, 2 directors per cluster)');
  const clustersPerSite = directors / 20;
  const browser = missingCapabilities(['chromium']).length === 0;
  const given = process.env.DATABASE_URL;
  const pg = given ? undefined : await startPostgres();
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-bench-dashboard-'));
  const rows: string[] = [];
  const pages: string[] = [];
  try {
    for (const [label, dbArgs] of [['pglite', ['--data-dir', dataDir]], ['postgres', ['--database-url', given ?? pg!.url]]] as const) {
      const seeding = await startControlPlane({ ...loadConfig(['--host', '127.0.0.1', '--port', '0', ...dbArgs], { VIGIL_BOOTSTRAP_TOKEN: TOKEN }), logLevel: 'warn' });
      const t0 = performance.now();
      const n = await seedScale(seeding.db, { sites: 10, clustersPerSite, directorsPerCluster: 2, events: 2000, freshForMs: 600_000 });
      console.log(`${label}: seeded ${n} directors in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      await seeding.stop();
      const cp = await serve([...dbArgs]);
      await settled(cp.child.pid!); // its first audit checkpoint verifies the seeded chain: not part of a page load
      try {
        rows.push(...(await api(label, cp.base, cp.child.pid!, requests)));
        if (browser) pages.push(`${label}: ${await page(cp.base)}`);
      } finally {
        await cp.stop();
      }
    }
  } finally {
    await pg?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  console.log(`\nthe dashboard's API with ${directors} directors (${directors / 2} clusters in 10 sites), ${requests} sequential requests per case, loopback`);
  console.log('| database | request                        | p50 ms  | p99 ms  | CPU ms/req | size      |');
  console.log('|----------|--------------------------------|---------|---------|------------|-----------|');
  for (const r of rows) console.log(r);
  console.log(browser ? `\nfirst render of the fleet map in chromium (navigation start → drawn):\n  ${pages.join('\n  ')}` : '\nfirst render in chromium: skipped (no /usr/bin/chromium)');
}
