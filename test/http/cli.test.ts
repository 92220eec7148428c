/**
 * The fleet CLI against a real control plane over HTTP (both database drivers): import, plan,
 * apply --if-revision, export, the noun/verb commands with -o table|json, --follow streams, the
 * exit codes scripts rely on, and the settings chain (flags, VIGIL_*, the config file).
 * Commands run in-process with captured output (the same code as `vigil ...`); a few run as the
 * real `vigil` process to prove the binary's exit codes.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseClusterSpec } from '../../schema/src/index.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportKeepalivedConf } from '../../agent/src/cli/export/keepalived-conf.ts';
import { runExport } from '../../agent/src/cli/export/command.ts';
import { runConfig } from '../../agent/src/cli/fleet/config-command.ts';
import type { Io } from '../../agent/src/cli/fleet/context.ts';
import { EXIT } from '../../agent/src/cli/fleet/errors.ts';
import { runEvents, runFailovers, runFleet } from '../../agent/src/cli/fleet/observe.ts';
import {
  runClusters, runDirectors, runEnrollToken, runMaintenance, runMoveMaster, runRevisions, runRollback, runSites, runTokens,
} from '../../agent/src/cli/fleet/resources.ts';
import { runImport } from '../../agent/src/cli/import/command.ts';
import { importKeepalived } from '../../agent/src/cli/import/keepalived.ts';
import { canon } from '../../agent/src/cli/import/merge.ts';
import { runApply, runPlan } from '../../agent/src/cli/plan/command.ts';
import { serveTestApp, tableCounts, testApp, type TestApp } from '../support/app.ts';
import { drivers } from '../support/db.ts';

const repo = resolve(import.meta.dirname, '..', '..');
const fx = (p: string) => join(repo, 'test', 'fixtures', 'import', p);
const VIGIL = join(repo, 'agent', 'bin', 'vigil.mjs');

interface Out { code: number; out: string; err: string }
type Runner = (argv: string[], io: Io) => Promise<number>;

describe.each(drivers)('vigil CLI against the control plane on %s', (driver) => {
  let t: TestApp;
  let served: Awaited<ReturnType<typeof serveTestApp>>;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  const cli = async (run: Runner, argv: string[], o: { env?: NodeJS.ProcessEnv; stdin?: string; signal?: AbortSignal } = {}): Promise<Out> => {
    let out = '';
    let err = '';
    const io: Io = {
      out: (s) => { out += s; },
      err: (s) => { err += s; },
      env: o.env ?? env,
      signal: o.signal ?? new AbortController().signal,
      stdin: async () => o.stdin ?? '',
    };
    const code = await run(argv, io);
    return { code, out, err };
  };
  const ok = async (run: Runner, argv: string[]) => {
    const r = await cli(run, argv);
    expect(r.code, `${argv.join(' ')}\n${r.err}`).toBe(0);
    return r;
  };
  const jsonOf = async (run: Runner, argv: string[]) => JSON.parse((await ok(run, [...argv, '-o', 'json'])).out);

  beforeAll(async () => {
    t = await testApp(driver);
    served = await serveTestApp(t);
    dir = mkdtempSync(join(tmpdir(), 'vigil-cli-'));
    env = { VIGIL_API: served.base, VIGIL_TOKEN: t.admin, VIGIL_CONFIG: join(dir, 'config') };
  });
  afterAll(async () => {
    await served?.close();
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports a keepalived pair: site, cluster and directors created, the spec stored as revision 1', async () => {
    const r = await ok(runImport, [fx('pair-ok/lb1.conf'), fx('pair-ok/lb2.conf'), '--site', 'dc1', '--cluster', 'web']);
    expect(r.out).toContain('created site dc1\ncreated cluster dc1/web\ncreated director lb1\ncreated director lb2\n');
    expect(r.out).toContain('stored: cluster dc1/web spec revision 1 (2 directors: lb1, lb2; 0 error(s), 0 warning(s))');
    const stored = await t.call('GET', `/v1/clusters/${(await jsonOf(runClusters, ['--site', 'dc1']))[0].id}/spec`);
    const local = importKeepalived({ files: [fx('pair-ok/lb1.conf'), fx('pair-ok/lb2.conf')] });
    const parsed = parseClusterSpec(local.spec);
    expect(parsed.ok && canon(stored.body.spec) === canon(parsed.spec)).toBe(true);
  });

  it('refuses files that disagree (exit 1) and an import over an existing spec (exit 5), changing nothing', async () => {
    const before = await tableCounts(t.db);
    const bad = await cli(runImport, [fx('pair-disagree/lb1.conf'), fx('pair-disagree/lb2.conf'), '--site', 'dc2', '--cluster', 'web']);
    expect(bad.code).toBe(EXIT.INVALID);
    expect(bad.err).toMatch(/pair-disagree\/lb2\.conf:9:5: error: .*virtual_router_id 52 but lb1 uses 51.*\[FLEET_VRID_MISMATCH\] \(also .*pair-disagree\/lb1\.conf:9:5\)/);
    expect(bad.err).toContain('nothing was created');
    const again = await cli(runImport, [fx('pair-ok/lb1.conf'), fx('pair-ok/lb2.conf'), '--site', 'dc1', '--cluster', 'web']);
    expect(again.code).toBe(EXIT.CONFLICT);
    expect(again.err).toContain('already has a spec (revision 1)');
    expect(await tableCounts(t.db)).toEqual(before);
  });

  it('--dry-run and -o print the spec and findings without a control plane', async () => {
    const noApi = { VIGIL_CONFIG: join(dir, 'none') };
    const yaml = await cli(runImport, [fx('pair-ok/lb1.conf'), fx('pair-ok/lb2.conf'), '--dry-run'], { env: noApi });
    expect(yaml.code).toBe(0);
    expect(yaml.out).toMatch(/^version: 1\n/);
    const json = await cli(runImport, [fx('pair-disagree/lb1.conf'), fx('pair-disagree/lb2.conf'), '-o', 'json'], { env: noApi });
    expect(json.code).toBe(EXIT.INVALID);
    const doc = JSON.parse(json.out);
    expect(doc.ok).toBe(false);
    expect(doc.findings.map((f: { code: string }) => f.code)).toContain('FLEET_VRID_MISMATCH');
  });

  it('lists sites, clusters and directors as tables and as JSON', async () => {
    expect((await ok(runSites, [])).out).toMatch(/^NAME +DESCRIPTION +CREATED\ndc1 /);
    expect((await jsonOf(runSites, [])).map((s: { name: string }) => s.name)).toEqual(['dc1']);
    expect((await ok(runClusters, [])).out).toMatch(/dc1 +web +web +1 /);
    const dirs = await jsonOf(runDirectors, ['--cluster', 'dc1/web']);
    expect(dirs.map((d: { name: string; enrolled: boolean }) => [d.name, d.enrolled])).toEqual([['lb1', false], ['lb2', false]]);
    expect((await ok(runDirectors, ['create', 'lb3', '--cluster', 'web'])).out).toBe('created director lb3\n');
    expect((await ok(runDirectors, ['delete', 'lb3', '--cluster', 'web'])).out).toBe('deleted director lb3\n');
    const fleet = await jsonOf(runFleet, []);
    expect(fleet.sites[0].clusters[0].directors.map((d: { drift: boolean }) => d.drift)).toEqual([true, true]);
  });

  it('exports the keepalived.conf a director runs, which imports back to the stored spec', async () => {
    const lb2 = await ok(runExport, ['--cluster', 'dc1/web', '--director', 'lb2']);
    expect(lb2.out).toContain('# keepalived.conf of director lb2, exported by vigil from cluster dc1/web revision 1');
    expect(lb2.out).toContain('priority 100');
    const file = join(dir, 'lb1.conf');
    await ok(runExport, ['--cluster', 'dc1/web', '--director', 'lb1', '-o', file]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    writeFileSync(join(dir, 'lb2.conf'), lb2.out);
    const back = importKeepalived({ files: [file, join(dir, 'lb2.conf')], directors: ['lb1', 'lb2'] });
    const stored = (await jsonOf(runRevisions, ['show', '1', '--cluster', 'dc1/web'])).spec;
    expect(canon(parseClusterSpec(back.spec).ok && (parseClusterSpec(back.spec) as { spec: unknown }).spec)).toBe(canon(stored));
    const p = parseClusterSpec(stored);
    expect(p.ok && exportKeepalivedConf(p.spec, 'lb2', 'keepalived.conf of director lb2, exported by vigil from cluster dc1/web revision 1').text).toBe(lb2.out);
    expect((await cli(runExport, ['--cluster', 'dc1/web', '--director', 'nope'])).code).toBe(EXIT.NOT_FOUND);
  });

  it('plans a change with the predicted election, then applies it only at the planned revision', async () => {
    // Enroll both directors and report lb1 MASTER, lb2 BACKUP, as agents do.
    const enroll = (await t.call('POST', '/v1/sites/dc1/enrollment-tokens', { body: { maxUses: 2 } })).body.secret;
    for (const [d, st, prio] of [['lb1', 'MASTER', 150], ['lb2', 'BACKUP', 100]] as const) {
      const enrolled = await t.call('POST', '/v1/agent/enroll', { token: enroll, body: { cluster: 'web', director: d } });
      expect(enrolled.status, JSON.stringify(enrolled.body)).toBe(201);
      const cred = enrolled.body.credential;
      const instances = ['VI_WEB', 'VI_GW'].map((name) => ({ name, state: st, priority: prio, basePriority: prio }));
      const reported = await t.call('POST', '/v1/agent/reports', { token: cred, body: { state: { instances }, appliedRevision: 1 } });
      expect(reported.status, JSON.stringify(reported.body)).toBe(200);
    }
    const spec = (await jsonOf(runRevisions, ['show', '1', '--cluster', 'dc1/web'])).spec;
    spec.vrrpInstances.VI_WEB.directors.lb2.priority = 200;
    spec.vrrpInstances.VI_GW.directors.lb2.priority = 200;
    const file = join(dir, 'spec.json');
    writeFileSync(file, JSON.stringify(spec));
    const plan = await ok(runPlan, ['-f', file, '--cluster', 'dc1/web']);
    expect(plan.out).toContain('~ vrrpInstances.VI_WEB.directors.lb2.priority: 100 -> 200');
    // A priority change is applied in place (the agent's reload keeps state and timers): no restart.
    expect(plan.out).toMatch(/VI_WEB: master lb1 -> lb2; rolling \(backups first, master last\); changed in place on lb2 \(state and timers kept\)\n/);
    // lb2's running master-down timer, armed at priority 100: 3 x 1 s + (256 - 100) / 256 s.
    expect(plan.out).toMatch(/\+3\.6 s {2}lb2 BACKUP -> MASTER \(preempt\)/);
    expect(plan.out).toContain(`apply with: vigil apply -f ${file} --cluster dc1/web --if-revision 1`);
    const planJson = await jsonOf(runPlan, ['-f', file, '--cluster', 'dc1/web']);
    expect(planJson.elections.map((e: { instance: string; mastersNow: string[]; mastersAfter: string[] }) => [e.instance, e.mastersNow, e.mastersAfter]).sort()).toEqual([['VI_GW', ['lb1'], ['lb2']], ['VI_WEB', ['lb1'], ['lb2']]]);

    const before = await tableCounts(t.db);
    const stale = await cli(runApply, ['-f', file, '--cluster', 'dc1/web', '--if-revision', '0']);
    expect(stale.code).toBe(EXIT.CONFLICT);
    expect(stale.err).toContain('it is at revision 1, not 0; nothing was changed');
    expect(await tableCounts(t.db)).toEqual(before);
    expect((await ok(runApply, ['-f', file, '--cluster', 'dc1/web', '--if-revision', '1'])).out).toBe('applied: cluster dc1/web revision 2\n');
    expect((await ok(runApply, ['-f', file, '--cluster', 'dc1/web'])).out).toContain('unchanged');
  });

  it('a spec with errors is refused by plan (exit 1, errors listed) and by apply (nothing stored)', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'version: 1\ndirectors: { lb1: {}, lb9: {} }\nvrrpInstances:\n  VI_1: { interface: eth0, virtualRouterId: 300 }\n');
    const plan = await cli(runPlan, ['-f', file, '--cluster', 'dc1/web']);
    expect(plan.code).toBe(EXIT.INVALID);
    expect(plan.out).toMatch(/vrrpInstances\.VI_1\.virtualRouterId: .*\[SHAPE_TOO_BIG\]/);
    const apply = await cli(runApply, ['-f', file, '--cluster', 'dc1/web']);
    expect(apply.code).toBe(EXIT.INVALID);
    writeFileSync(file, 'version: 1\nkey: [unclosed\n');
    expect((await cli(runPlan, ['-f', file, '--cluster', 'dc1/web'])).err).toMatch(/bad\.yaml:\d+:\d+: not valid YAML or JSON/);
  });

  it('revisions, rollback, maintenance and move-master, each in the audit log', async () => {
    const revs = await jsonOf(runRevisions, ['--cluster', 'dc1/web']);
    expect(revs.map((r: { number: number }) => r.number)).toEqual([2, 1]);
    expect((await ok(runRollback, ['1', '--cluster', 'dc1/web'])).out).toBe('rolled back: cluster dc1/web revision 3 (the spec of revision 1)\n');
    expect((await ok(runRevisions, ['--cluster', 'dc1/web'])).out).toMatch(/^3 \* +\S+ +token:bootstrap-admin +1 +rollback to revision 1$/m);
    await ok(runMaintenance, ['on', 'lb1', '--cluster', 'dc1/web']);
    await ok(runMoveMaster, ['VI_WEB', 'lb2', '--cluster', 'dc1/web']);
    await ok(runMoveMaster, ['VI_WEB', '--release', '--cluster', 'dc1/web']);
    await ok(runMaintenance, ['off', 'lb1', '--cluster', 'dc1/web']);
    const kinds = (await jsonOf(runEvents, ['--cluster', 'dc1/web', '--limit', '6'])).items.map((e: { kind: string }) => e.kind);
    expect(kinds.slice(0, 5)).toEqual(['director.maintenance', 'instance.move_master', 'instance.move_master', 'director.maintenance', 'spec.rolled_back']);
    expect((await ok(runEvents, ['--kind', 'spec.rolled_back'])).out).toMatch(/#\d+ {2}spec\.rolled_back {2}token:bootstrap-admin/);
  });

  it('events --follow and failovers --follow stream until interrupted', async () => {
    const ac = new AbortController();
    const following = cli(runEvents, ['--follow', '--cluster', 'dc1/web', '-o', 'json'], { signal: ac.signal });
    const failovers = cli(runFailovers, ['--follow', '-o', 'json'], { signal: ac.signal });
    await new Promise((r) => setTimeout(r, 500));
    await ok(runMaintenance, ['on', 'lb2', '--cluster', 'dc1/web']);
    // A failover as the agents report it: lb1 was master, lb2 takes over after its down timer.
    const report = async (director: string, ev: Record<string, unknown>) => {
      const enroll = (await t.call('POST', '/v1/sites/dc1/enrollment-tokens', { body: { maxUses: 1, cluster: 'web', director } })).body.secret;
      const cred = (await t.call('POST', '/v1/agent/enroll', { token: enroll, body: { cluster: 'web', director } })).body.credential;
      expect((await t.call('POST', '/v1/agent/reports', { token: cred, body: { events: [ev] } })).status).toBe(200);
    };
    const iso = (ago: number) => new Date(Date.now() - ago).toISOString();
    await report('lb1', { seq: 1, kind: 'vrrp.transition', instance: 'VI_WEB', agentTime: iso(10_000), details: { from: 'backup', to: 'master', reason: 'master_down_timer', priority: 150 } });
    const takeover = iso(1000);
    await report('lb2', { seq: 1, kind: 'vrrp.transition', instance: 'VI_WEB', agentTime: takeover, details: { from: 'backup', to: 'master', reason: 'master_down_timer', priority: 100, lastAdvertAt: new Date(Date.parse(takeover) - 3600).toISOString() } });
    // The streams print as events arrive; give them time to see both, then interrupt (Ctrl-C).
    await new Promise((r) => setTimeout(r, 2000));
    ac.abort();
    const [ev1, fo2] = await Promise.all([following, failovers]);
    expect(ev1.code).toBe(0);
    const kinds = ev1.out.trim().split('\n').map((l) => JSON.parse(l).kind);
    expect(kinds).toContain('director.maintenance');
    expect(kinds).toContain('vrrp.transition');
    expect(fo2.code).toBe(0);
    const rec = JSON.parse(fo2.out.trim().split('\n')[0]!);
    expect(rec).toMatchObject({ instance: 'VI_WEB', newMaster: 'lb2', cause: 'master_down_timer', gapMs: 3600 });
  });

  it('tokens and enrollment tokens: the secret and the install command are printed once, on stdout', async () => {
    const made = await ok(runTokens, ['create', 'ci-viewer', '--role', 'viewer']);
    expect(made.out).toMatch(/^vgl_\S+\n$/);
    expect(made.err).toContain('created token ci-viewer (viewer)');
    const list = await jsonOf(runTokens, []);
    expect(list.map((x: { name: string }) => x.name)).toContain('ci-viewer');
    // A viewer may read but not write: exit 4.
    const viewerEnv = { ...env, VIGIL_TOKEN: made.out.trim() };
    expect((await cli(runSites, [], { env: viewerEnv })).code).toBe(0);
    const denied = await cli(runSites, ['create', 'x'], { env: viewerEnv });
    expect(denied.code).toBe(EXIT.AUTH);
    const id = list.find((x: { name: string }) => x.name === 'ci-viewer').id;
    await ok(runTokens, ['revoke', id]);
    expect((await cli(runSites, [], { env: viewerEnv })).code).toBe(EXIT.AUTH);
    const enroll = await ok(runEnrollToken, ['--site', 'dc1', '--cluster', 'web', '--director', 'lb1']);
    expect(enroll.out).toMatch(/^curl -fsSL '.*\/install\.sh' -o vigil-install\.sh && echo '[0-9a-f]{64} {2}vigil-install\.sh' \| sha256sum -c - && printf '%s\\n' 'vge_\S+' \| sh vigil-install\.sh --token-stdin --cluster 'web' --director 'lb1'\n$/);
    expect((await jsonOf(runEnrollToken, ['list', '--site', 'dc1'])).some((x: { directorName: string | null }) => x.directorName === 'lb1')).toBe(true);
  });

  it('exit codes: usage 2, not found 3, bad token 4, unreachable 6', async () => {
    expect((await cli(runSites, ['--bogus'])).code).toBe(EXIT.USAGE);
    expect((await cli(runDirectors, ['--cluster', 'dc1/nope'])).code).toBe(EXIT.NOT_FOUND);
    expect((await cli(runSites, [], { env: { ...env, VIGIL_TOKEN: 'vgl_not-a-real-token-000000000000' } })).code).toBe(EXIT.AUTH);
    const down = await cli(runSites, [], { env: { ...env, VIGIL_API: 'http://127.0.0.1:9' } });
    expect(down.code).toBe(EXIT.UNAVAILABLE);
    expect(down.err).toContain('connection refused');
    expect((await cli(runSites, [], { env: { VIGIL_CONFIG: join(dir, 'none') } })).err).toContain('no control plane URL');
  });

  it('settings: the config file (0600, token from stdin), refused when others can read it; flags win', async () => {
    const cfg = join(dir, 'cfg', 'config');
    const fileEnv = { VIGIL_CONFIG: cfg };
    expect((await cli(runConfig, ['set', 'api', served.base], { env: fileEnv })).code).toBe(0);
    expect((await cli(runConfig, ['set', 'token', '-'], { env: fileEnv, stdin: `${t.admin}\n` })).code).toBe(0);
    expect(statSync(cfg).mode & 0o777).toBe(0o600);
    expect(readFileSync(cfg, 'utf8')).toContain(`token = ${t.admin}`);
    expect((await cli(runSites, [], { env: fileEnv })).code).toBe(0);
    const shown = await cli(runConfig, ['show'], { env: fileEnv });
    expect(shown.out).toContain(`token: ${t.admin.slice(0, 8)}…`);
    expect(shown.out).not.toContain(t.admin);
    chmodSync(cfg, 0o644);
    const unsafe = await cli(runSites, [], { env: fileEnv });
    expect(unsafe.code).toBe(EXIT.AUTH);
    expect(unsafe.err).toContain(`hint: chmod 600 ${cfg}`);
    // A flag wins over the file (and over the environment).
    expect((await cli(runSites, ['--api', 'http://127.0.0.1:9', '--token', t.admin], { env: { ...env } })).code).toBe(EXIT.UNAVAILABLE);
  });

  it('the vigil binary: the same commands and exit codes as a process', async () => {
    // Asynchronously: the control plane serves from this process.
    const run = (args: string[], extra: NodeJS.ProcessEnv = {}) => new Promise<{ status: number | null; stdout: string; stderr: string }>((resolveRun) => {
      execFile(process.execPath, [VIGIL, ...args], { encoding: 'utf8', env: { ...process.env, ...env, ...extra }, timeout: 60_000 }, (err, stdout, stderr) => {
        resolveRun({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
      });
    });
    const sites = await run(['sites', '-o', 'json']);
    expect(sites.status, sites.stderr).toBe(0);
    expect(JSON.parse(sites.stdout).map((s: { name: string }) => s.name)).toEqual(['dc1']);
    expect((await run(['clusters', 'delete', 'dc1/nope'])).status).toBe(EXIT.NOT_FOUND);
    expect((await run(['fleet'], { VIGIL_API: 'http://127.0.0.1:9' })).status).toBe(EXIT.UNAVAILABLE);
    const help = await run(['plan', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('usage: vigil plan -f SPEC --cluster C');
  }, 240_000);
});
