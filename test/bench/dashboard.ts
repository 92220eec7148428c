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
 *         performance mark), best and median of 9 reloads, with the machine's load average.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../../control-plane/src/config.ts';
import { startControlPlane } from '../../control-plane/src/main.ts';
import { missingCapabilities } from '../support/capabilities.ts';
import { startPostgres } from '../support/postgres-server.ts';
import { openBrowser, settled } from '../browser/support/browser.ts';
import { seedScale } from '../browser/support/seed.ts';

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
    const times: number[] = [];
    for (let i = 0; i < 9; i++) {
      await p.reload({ waitUntil: 'commit' });
      await p.waitForFunction(() => performance.getEntriesByName('vigil:fleet-rendered').length > 0, null, { timeout: 20_000 });
      times.push(await p.evaluate(() => performance.getEntriesByName('vigil:fleet-rendered')[0]!.startTime));
    }
    times.sort((a, b) => a - b);
    return `best ${times[0]!.toFixed(0)} ms, median ${times[4]!.toFixed(0)} ms (9 reloads; load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores)`;
  } finally {
    await b.close();
  }
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
