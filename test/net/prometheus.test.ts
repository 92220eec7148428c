/**
 * The metrics, proven with Debian's real Prometheus: it scrapes a running agent pair (`vigil lab`:
 * two directors installed by install.sh, managed by a control plane) and the control plane
 * (/metrics, and /v1/fleet/metrics with a viewer token), and loads the shipped alert rules.
 *
 * - every query of the shipped dashboards (infra/grafana/dashboards) returns data;
 * - every query of the keepalived exporters' dashboards (mehdy/keepalived-exporter's own, and the
 *   gen2brain list for grafana.com 18270; test/fixtures/dashboards) returns data from Vigil;
 * - every alert rule evaluates (health ok), the series it compares returns data, and none fires;
 * - a forced failover shows in keepalived_become_master_total and fires nothing it should not;
 * - a real split brain (VRRP dropped on one director) fires the split-brain alerts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Io } from '../../agent/src/cli/fleet/context.ts';
import { runLab } from '../../agent/src/cli/lab/command.ts';
import { requireCapabilities } from '../support/capabilities.ts';

const ok = requireCapabilities('Prometheus scraping a lab', ['root', 'netns', 'prometheus']);
const repo = join(import.meta.dirname, '..', '..');
const NAME = `pm${process.pid % 100000}`;
const DIR = `/var/lib/vigil-lab-${NAME}`;
const PORT = 18000 + (process.pid % 1000);
const ns = (h: string) => `${NAME}-${h}`;
const PROM = 'http://192.0.2.2:9090';
const LB1 = '192.0.2.11:9650';
const LB2 = '192.0.2.12:9650';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function lab(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (s) => { out += s; }, err: (s) => { err += s; }, env: process.env, signal: new AbortController().signal, stdin: async () => '' };
  const code = await runLab([...args, '--name', NAME], io);
  return { code, out, err };
}

function sh(cmd: string, args: string[], timeoutMs = 20_000): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stdout });
    });
  });
}

/** GET on Prometheus's HTTP API, from inside the lab. */
async function prom<T = unknown>(path: string): Promise<T> {
  const r = await sh('ip', ['netns', 'exec', ns('cp'), 'curl', '-sS', '--max-time', '10', `${PROM}${path}`]);
  const body = JSON.parse(r.stdout) as { status: string; data: T; error?: string };
  if (body.status !== 'success') throw new Error(`${path}: ${body.error}`);
  return body.data;
}
const query = async (q: string) => (await prom<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(`/api/v1/query?query=${encodeURIComponent(q)}`)).result;

/** Dashboard variables as a viewer would pick them: the lab's site and cluster, its agents. */
function substitute(expr: string): string {
  return expr
    .replace(/\$__rate_interval/g, '30s').replace(/\$__range/g, '5m')
    .replace(/=~?"\$site"/g, '=~"lab"').replace(/=~?"\$cluster"/g, '=~"web"')
    .replace(/=~?"\$job"/g, '=~"vigil-agents-web"').replace(/instance=~?"\$instance"/g, `instance=~"${LB1}|${LB2}"`)
    // Grafana's variable query function, in PromQL.
    .replace(/^label_values\((.+), (\w+)\)$/, 'count by ($2) ($1)');
}

interface Rule { name: string; query: string; health: string; state: string; lastError?: string; annotations: Record<string, string> }
async function rules(): Promise<Rule[]> {
  const data = await prom<{ groups: { rules: Rule[] }[] }>('/api/v1/rules');
  return data.groups.flatMap((g) => g.rules);
}

describe.skipIf(!ok)('Prometheus scrapes Vigil: shipped dashboards and alerts, and the keepalived exporters\' dashboards', () => {
  let prometheus: ChildProcess | undefined;
  let work: string;

  beforeAll(async () => {
    const up = await lab(['up', '--port', String(PORT)]);
    if (up.code !== 0) throw new Error(`vigil lab up: ${up.code}\n${up.err}`);
    const state = JSON.parse(readFileSync(join(DIR, 'lab.json'), 'utf8')) as { token: string };
    // A viewer token for Prometheus's scrape of /v1/fleet/metrics (the lab's admin token mints it).
    const minted = await sh('curl', ['-sS', '-X', 'POST', '-H', `authorization: Bearer ${state.token}`, '-H', 'content-type: application/json', '--data', '{"name":"prometheus","role":"viewer"}', `http://127.0.0.1:${PORT}/v1/tokens`]);
    const viewer = (JSON.parse(minted.stdout) as { secret: string }).secret;
    work = mkdtempSync(join(tmpdir(), 'vigil-prometheus-'));
    writeFileSync(join(work, 'viewer-token'), viewer, { mode: 0o600 });
    writeFileSync(join(work, 'prometheus.yml'), [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      `rule_files: ["${join(repo, 'infra/grafana/alerts/vigil-alerts.yml')}"]`,
      'scrape_configs:',
      '  - job_name: vigil-control-plane',
      '    static_configs: [{ targets: ["192.0.2.2:8080"] }]',
      '  - job_name: vigil-fleet',
      '    metrics_path: /v1/fleet/metrics',
      `    authorization: { credentials_file: ${join(work, 'viewer-token')} }`,
      '    static_configs: [{ targets: ["192.0.2.2:8080"] }]',
      '  - job_name: vigil-agents-web',
      `    static_configs: [{ targets: ["${LB1}", "${LB2}"] }]`,
      '',
    ].join('\n'));
    const check = await sh('promtool', ['check', 'config', join(work, 'prometheus.yml')]);
    expect(check.code, check.stdout).toBe(0);
    prometheus = spawn('ip', ['netns', 'exec', ns('cp'), 'prometheus', `--config.file=${join(work, 'prometheus.yml')}`, `--storage.tsdb.path=${join(work, 'data')}`, '--web.listen-address=192.0.2.2:9090'], { stdio: 'ignore' });
    // Every target up, then enough samples for the 30 s rate windows.
    for (let i = 0; ; i++) {
      try {
        const t = await prom<{ activeTargets: { health: string }[] }>('/api/v1/targets');
        if (t.activeTargets.length === 4 && t.activeTargets.every((x) => x.health === 'up')) break;
      } catch { /* not listening yet */ }
      if (i > 300) throw new Error('Prometheus targets did not come up');
      await sleep(200);
    }
    // A request through the VIP, so the data plane's counters move.
    for (let i = 0; i < 4; i++) await sh('ip', ['netns', 'exec', ns('client'), 'curl', '-s', '--max-time', '2', 'http://192.0.2.10/']);
    await sleep(15_000);
  }, 600_000);

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      prometheus.kill('SIGTERM');
      await new Promise((r) => prometheus!.once('exit', r));
    }
    await lab(['down']);
    if (work) rmSync(work, { recursive: true, force: true });
  }, 120_000);

  it('every query of the shipped dashboards returns data', async () => {
    const files = readdirSync(join(repo, 'infra/grafana/dashboards')).filter((f) => f.endsWith('.json'));
    expect(files.sort()).toEqual(['vigil-agent.json', 'vigil-fleet.json']);
    const empty: string[] = [];
    let n = 0;
    for (const f of files) {
      const d = JSON.parse(readFileSync(join(repo, 'infra/grafana/dashboards', f), 'utf8')) as { panels: { targets?: { expr: string }[] }[]; templating: { list: { query?: { query?: string } }[] } };
      const exprs = [...d.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)), ...d.templating.list.map((v) => v.query?.query).filter((q): q is string => typeof q === 'string' && q.startsWith('label_values'))];
      for (const e of exprs) {
        n++;
        if ((await query(substitute(e))).length === 0) empty.push(`${f}: ${e}`);
      }
    }
    expect(n).toBeGreaterThan(30);
    expect(empty).toEqual([]);
  });

  it.each(['mehdy-keepalived-exporter', 'gen2brain-keepalived-exporter'])('every query of the %s dashboard returns data from Vigil', async (name) => {
    const lines = readFileSync(join(repo, 'test/fixtures/dashboards', `${name}.queries.txt`), 'utf8').split('\n').filter((l) => l.trim() && !l.startsWith('#'));
    expect(lines.length).toBeGreaterThan(15);
    const empty: string[] = [];
    for (const e of lines) if ((await query(substitute(e))).length === 0) empty.push(e);
    expect(empty).toEqual([]);
  });

  it('every alert rule evaluates, the series it compares has data, and none fires', async () => {
    const all = await rules();
    expect(all.map((r) => r.name).sort()).toEqual(['VigilAgentDown', 'VigilControlPlaneDown', 'VigilDirectorStale', 'VigilDrift', 'VigilInstanceFlapping', 'VigilNoMaster', 'VigilSplitBrain', 'VigilSplitBrainAgents']);
    for (const r of all) {
      expect(r.health, `${r.name}: ${r.lastError ?? ''}`).toBe('ok');
      expect(r.state, r.name).toBe('inactive');
      expect((await query(r.annotations.query!)).length, `${r.name}: ${r.annotations.query}`).toBeGreaterThan(0);
    }
  });

  it('a forced failover shows in keepalived_become_master_total and fires nothing it should not', async () => {
    const before = await query(`keepalived_become_master_total{instance="${LB2}"}`);
    expect(before.every((s) => s.value[1] === '0')).toBe(true);
    const f = await lab(['failover', '-o', 'json']);
    expect(f.code, f.err).toBe(0);
    const result = JSON.parse(f.out) as { killed: { director: string }; newMaster: string };
    expect(result).toMatchObject({ killed: { director: 'lb1' }, newMaster: 'lb2' });
    let after: Awaited<ReturnType<typeof query>> = [];
    for (let i = 0; i < 50 && !after.length; i++) {
      after = await query(`keepalived_become_master_total{instance="${LB2}"} > 0`);
      await sleep(200);
    }
    expect(after.map((s) => s.metric.iname).sort()).toEqual(['VI_IN', 'VI_OUT']);
    expect((await query(`keepalived_vrrp_state{instance="${LB2}"} == 2`)).length).toBe(2);
    expect((await query(`increase(vigil_vrrp_become_master_total{instance="${LB2}"}[1m]) > 0`)).length).toBe(2);
    // Long enough for any `for:` of the critical rules to pass, then: nothing fires; the rules
    // a failover must never trip are not even pending.
    await sleep(15_000);
    const states = await rules();
    expect(states.filter((r) => r.state === 'firing').map((r) => r.name)).toEqual([]);
    expect(states.filter((r) => ['VigilSplitBrain', 'VigilSplitBrainAgents', 'VigilNoMaster', 'VigilInstanceFlapping', 'VigilDrift'].includes(r.name) && r.state !== 'inactive').map((r) => r.name)).toEqual([]);
  }, 120_000);

  it('a real split brain (VRRP dropped on lb1) fires both split-brain alerts, and they clear when it heals', async () => {
    // lb2 is master now. lb1 neither hears it nor is heard (dropping only what lb1 receives is no
    // split brain: lb1 takes over, lb2 hears lb1's higher priority and yields).
    const apply = (rules: string) => new Promise<number | null>((resolve) => {
      const p = spawn('ip', ['netns', 'exec', ns('lb1'), 'nft', '-f', '-'], { stdio: ['pipe', 'ignore', 'inherit'] });
      p.on('exit', resolve);
      p.stdin.end(rules);
    });
    expect(await apply('table inet vigiltest {\n  chain vrrp_in {\n    type filter hook input priority -300; policy accept;\n    ip protocol vrrp drop\n  }\n  chain vrrp_out {\n    type filter hook output priority -300; policy accept;\n    ip protocol vrrp drop\n  }\n}\n')).toBe(0);
    try {
      let firing: string[] = [];
      for (let i = 0; i < 150 && firing.length < 2; i++) {
        firing = (await rules()).filter((r) => r.state === 'firing').map((r) => r.name).sort();
        await sleep(200);
      }
      expect(firing, JSON.stringify(await query('vigil_vrrp_state{state="MASTER"} == 1'))).toEqual(['VigilSplitBrain', 'VigilSplitBrainAgents']);
    } finally {
      await apply('delete table inet vigiltest\n');
    }
    let still: string[] = ['x'];
    for (let i = 0; i < 150 && still.length; i++) {
      still = (await rules()).filter((r) => r.state === 'firing').map((r) => r.name);
      await sleep(200);
    }
    expect(still).toEqual([]);
  }, 120_000);
});
