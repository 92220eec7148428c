/**
 * The fleet end to end: a real control plane on real Postgres (both in one namespace), two sites with a cluster each, and three directors, each in a fresh
 * Debian root (overlay + private mount namespace) with its own network namespace, installed and
 * enrolled with install.sh. Proves, through the API: every director applies its spec; a spec
 * change reaches them (at one instant: it changes the advertised addresses); a crash failover
 * appears in /v1/failovers with its gap; and with the control plane down, failovers go on and
 * every transition reaches the audit log exactly once when it is back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireCapabilities } from '../support/capabilities.ts';
import { DirectorRoot, ensureRootfs } from '../support/director-root.ts';
import { createLab, type NetnsLab } from '../support/netns.ts';
import { startPostgres, type PostgresServer } from '../support/postgres-server.ts';

const run = requireCapabilities('fleet end to end (install.sh, two sites, Postgres)', ['root', 'netns', 'debootstrap', 'postgres']);
const VIGIL = join(import.meta.dirname, '../../agent/bin/vigil.mjs');
const TOKEN = 'vgl_fleet-e2e-bootstrap-token-0123456789abcdef';
const CP = 'http://192.0.2.4:8080';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const specOf = (names: string[], vrid: number, vips: string[]) => ({
  version: 1,
  directors: Object.fromEntries(names.map((n) => [n, {}])),
  vrrpInstances: {
    VI_1: { interface: 'eth0', virtualRouterId: vrid, version: 3, advertIntervalMs: 100, virtualIpAddresses: vips, directors: Object.fromEntries(names.map((n, i) => [n, { priority: 150 - i * 50 }])) },
  },
});

describe.skipIf(!run)('fleet end to end: install.sh, two sites, real Postgres', () => {
  let lab: NetnsLab;
  let pg: PostgresServer;
  let work: string;
  let cp: ChildProcess | undefined;
  const roots: Record<string, DirectorRoot> = {};
  const clusters: Record<string, string> = {};

  async function api(method: string, path: string, body?: unknown) {
    const args = ['-sS', '-X', method, '-H', `authorization: Bearer ${TOKEN}`, '-w', '\n%{http_code}', `${CP}${path}`];
    if (body !== undefined) args.push('-H', 'content-type: application/json', '--data', JSON.stringify(body));
    const r = await lab.exec(lab.hosts[3]!.ns, 'curl', args, { timeoutMs: 60_000 });
    const nl = r.stdout.lastIndexOf('\n');
    const status = Number(r.stdout.slice(nl + 1));
    if (!status || status >= 300) throw new Error(`${method} ${path}: ${r.stdout} ${r.stderr}`);
    const text = r.stdout.slice(0, nl);
    return text ? JSON.parse(text) : null;
  }
  async function startCp() {
    cp = spawn('ip', ['netns', 'exec', lab.hosts[3]!.ns, process.execPath, VIGIL, 'control-plane', '--port', '8080', '--database-url', pg.url, '--data-dir', join(work, 'cp')], { stdio: 'ignore', env: { ...process.env, VIGIL_BOOTSTRAP_TOKEN: TOKEN } });
    for (let i = 0; ; i++) {
      try { await api('GET', '/v1/sites'); return; } catch (e) { if (i > 150) throw e; await sleep(200); }
    }
  }
  async function stopCp() {
    const p = cp;
    cp = undefined;
    if (p && p.exitCode === null && p.signalCode === null) await new Promise<void>((r) => { p.once('exit', () => r()); p.kill('SIGTERM'); });
  }
  const holds = async (i: number, vip: string) => (await lab.exec(lab.hosts[i]!.ns, 'ip', ['-o', 'addr', 'show', 'dev', 'eth0'])).stdout.includes(` ${vip}/`);
  async function until(what: string, pred: () => Promise<boolean> | boolean, ms: number) {
    const t0 = Date.now();
    while (!(await pred())) {
      if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}\n${Object.entries(roots).map(([k, r]) => `${k}: ${r.log()}`).join('\n')}`);
      await sleep(100);
    }
  }
  const outboxSettled = (r: DirectorRoot) => {
    // Event lines only (a {"release":N} line completes a transition written ahead: outbox.ts).
    const seqs = r.readFile('var/lib/vigil/outbox/outbox.jsonl').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { seq?: number }).seq).filter((s): s is number => typeof s === 'number');
    const state = JSON.parse(r.readFile('var/lib/vigil/outbox/outbox.state')) as { acked: number };
    return state.acked >= Math.max(0, ...seqs);
  };
  const transitions = (r: DirectorRoot) => r.readFile('var/lib/vigil/outbox/outbox.jsonl').split('\n').filter((l) => l.includes('"kind":"vrrp.transition"')).length;

  beforeAll(async () => {
    ensureRootfs();
    lab = await createLab({ hosts: 4 });
    pg = await startPostgres({ netns: lab.hosts[3]!.ns }); // beside the control plane, on its 127.0.0.1
    work = mkdtempSync(join(tmpdir(), 'vigil-fleet-e2e-'));
    await startCp();
    const layout = { dc1: { cluster: 'web', directors: ['lb1', 'lb2'], vrid: 90, vip: '192.0.2.100/24' }, dc2: { cluster: 'api', directors: ['lb1'], vrid: 91, vip: '192.0.2.110/24' } };
    const hostOf: Record<string, number> = { 'dc1/lb1': 0, 'dc1/lb2': 1, 'dc2/lb1': 2 };
    for (const [site, l] of Object.entries(layout)) {
      await api('POST', '/v1/sites', { name: site });
      const id = (await api('POST', `/v1/sites/${site}/clusters`, { name: l.cluster })).id as string;
      clusters[site] = id;
      for (const d of l.directors) await api('POST', `/v1/clusters/${id}/directors`, { name: d });
      await api('PUT', `/v1/clusters/${id}/spec`, { spec: specOf(l.directors, l.vrid, [l.vip]) });
      const minted = await api('POST', `/v1/sites/${site}/enrollment-tokens`, { maxUses: l.directors.length });
      const command = (minted.install.command as string).replace('--cluster CLUSTER --director DIRECTOR', `--cluster ${l.cluster} --director ${'${D}'}`);
      for (const d of l.directors) {
        const root = new DirectorRoot(lab.hosts[hostOf[`${site}/${d}`]!]!, join(work, `${site}-${d}`));
        roots[`${site}/${d}`] = root;
        const r = await root.run(`cd /root && D=${d} && ${command}`);
        if (r.code !== 0) throw new Error(`install on ${site}/${d}: ${r.out}`);
      }
    }
  }, 600_000);

  afterAll(async () => {
    for (const r of Object.values(roots)) r.kill('SIGKILL');
    await sleep(200);
    await stopCp();
    await pg?.stop();
    await lab?.destroy();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('every installed director applies its site\'s spec and takes its place', async () => {
    await until('dc1/lb1 holds its VIP', () => holds(0, '192.0.2.100'), 15_000);
    await until('dc2/lb1 holds its VIP', () => holds(2, '192.0.2.110'), 15_000);
    expect(await holds(1, '192.0.2.100')).toBe(false);
    await until('all directors report revision 1', async () => {
      const fleet = await api('GET', '/v1/fleet');
      const ds = fleet.sites.flatMap((s: { clusters: Array<{ directors: Array<{ appliedRevision: number | null; drift: boolean }> }> }) => s.clusters.flatMap((c) => c.directors));
      return ds.length === 3 && ds.every((d: { appliedRevision: number | null; drift: boolean }) => d.appliedRevision === 1 && !d.drift);
    }, 20_000);
  });

  type Applied = Array<{ actor: string; agentTime: string; details: { revision: number } }>;
  it('a spec change reaches the site\'s directors (at one instant) and not the other site', async () => {
    await api('PUT', `/v1/clusters/${clusters.dc1}/spec`, { spec: specOf(['lb1', 'lb2'], 90, ['192.0.2.100/24', '192.0.2.101/24']) });
    await until('dc1/lb1 holds the new VIP', () => holds(0, '192.0.2.101'), 15_000);
    await until('both dc1 directors applied revision 2', async () => {
      const items = (await api('GET', `/v1/events?cluster=${clusters.dc1}&kind=config.applied`)).items as Applied;
      return ['lb1', 'lb2'].every((d) => items.some((e) => e.actor === `agent:${d}` && e.details.revision === 2));
    }, 15_000);
    const items = (await api('GET', `/v1/events?cluster=${clusters.dc1}&kind=config.applied`)).items as Applied;
    const at = ['lb1', 'lb2'].map((d) => Date.parse(items.find((e) => e.actor === `agent:${d}` && e.details.revision === 2)!.agentTime));
    expect(Math.abs(at[0]! - at[1]!)).toBeLessThan(500);
    const dc2 = (await api('GET', `/v1/events?cluster=${clusters.dc2}&kind=config.applied`)).items as Applied;
    expect(dc2.every((e) => e.details.revision === 1)).toBe(true);
  });

  it('a crash failover appears in /v1/failovers with the gap since the old master\'s last advert', async () => {
    const since = new Date().toISOString();
    roots['dc1/lb1']!.kill();
    await until('dc1/lb2 takes over', () => holds(1, '192.0.2.100'), 5000);
    let f: Array<{ site: string; oldMaster: string; newMaster: string; gapMs: number }> = [];
    await until('the failover in the API', async () => {
      f = (await api('GET', `/v1/failovers?site=dc1&since=${encodeURIComponent(since)}`)).items;
      return f.length > 0;
    }, 15_000);
    expect(f[0]).toMatchObject({ site: 'dc1', oldMaster: 'lb1', newMaster: 'lb2' });
    expect(f[0]!.gapMs).toBeGreaterThan(300);
    expect(f[0]!.gapMs).toBeLessThan(600);
    expect((await api('GET', '/v1/failovers?site=dc2')).items).toEqual([]);
  });

  it('with the control plane down, failovers go on; afterwards every transition is logged exactly once', async () => {
    await stopCp();
    const lb1 = roots['dc1/lb1']!;
    const restarted = await lb1.startAgent(); // from its cached config
    expect(restarted.code, restarted.out).toBe(0);
    await until('dc1/lb1 master again', async () => (await holds(0, '192.0.2.100')) && !(await holds(1, '192.0.2.100')), 20_000);
    lb1.kill();
    await until('dc1/lb2 takes over again', () => holds(1, '192.0.2.100'), 5000);
    const again = await lb1.startAgent();
    expect(again.code, again.out).toBe(0);
    await until('dc1/lb1 master once more', async () => (await holds(0, '192.0.2.100')) && !(await holds(1, '192.0.2.100')), 20_000);
    await sleep(500);
    expect(outboxSettled(lb1) && outboxSettled(roots['dc1/lb2']!)).toBe(false);
    await startCp();
    await until('every outbox delivered', () => Object.values(roots).every(outboxSettled), 30_000);
    const logged = (await api('GET', `/v1/events?cluster=${clusters.dc1}&kind=vrrp.transition&limit=1000`)).items as Array<{ actor: string }>;
    for (const d of ['lb1', 'lb2']) expect(logged.filter((e) => e.actor === `agent:${d}`).length, d).toBe(transitions(roots[`dc1/${d}`]!));
    expect((await api('GET', '/v1/events/verify')).ok).toBe(true);
    const f = (await api('GET', '/v1/failovers?site=dc1')).items as Array<{ oldMaster: string; newMaster: string }>;
    expect(f.slice(0, 4).map((x) => `${x.oldMaster}->${x.newMaster}`)).toEqual(['lb2->lb1', 'lb1->lb2', 'lb2->lb1', 'lb1->lb2']);
  });
});
