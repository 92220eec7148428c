/**
 * Managed agents end to end, in network namespaces: a real control plane (PGlite under a data
 * dir) on h3, two directors on h1/h2 enrolled with an enrollment token and run as
 * `vigil agent --config agent.json`. Proves: the spec reaches them and runs; a spec change
 * arrives as a diff; a crash failover shows in /v1/failovers with its gap; and with the control
 * plane down, failovers still happen and every transition reaches the audit log exactly once
 * when it comes back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AddressWatch } from '../support/addr-watch.ts';
import { requireCapabilities } from '../support/capabilities.ts';
import { createLab, type NetnsLab } from '../support/netns.ts';

const run = requireCapabilities('managed agents end to end', ['root', 'netns']);
const VIGIL = join(import.meta.dirname, '../../agent/bin/vigil.mjs');
const TOKEN = 'vgl_managed-e2e-bootstrap-token-0123456789abcdef';
const CP = 'http://192.0.2.3:8080';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const spec = (vips: string[], o: { priority?: number; script?: boolean } = {}) => ({
  version: 1,
  directors: { lb1: {}, lb2: {} },
  ...(o.script ? { vrrpScripts: { chk: { script: '/bin/true', intervalMs: 1000, weight: -20 } } } : {}),
  vrrpInstances: {
    VI_1: {
      interface: 'eth0', virtualRouterId: 70, version: 3, advertIntervalMs: 100,
      virtualIpAddresses: vips,
      ...(o.script ? { trackScripts: [{ name: 'chk' }] } : {}),
      directors: { lb1: { priority: o.priority ?? 150 }, lb2: { priority: 100 } },
    },
  },
});

describe.skipIf(!run)('managed agents with a real control plane', () => {
  let lab: NetnsLab;
  let work: string;
  let cp: ChildProcess | undefined;
  const agents: Record<string, ChildProcess | undefined> = {};
  let clusterId = '';

  async function api(method: string, path: string, body?: unknown, token = TOKEN): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const args = ['-sS', '-X', method, '-H', `authorization: Bearer ${token}`, '-w', '\n%{http_code}', `${CP}${path}`];
    if (body !== undefined) args.push('-H', 'content-type: application/json', '--data', JSON.stringify(body));
    const r = await lab.exec(lab.hosts[2]!.ns, 'curl', args, { timeoutMs: 30_000 });
    const nl = r.stdout.lastIndexOf('\n');
    const status = Number(r.stdout.slice(nl + 1));
    const text = r.stdout.slice(0, nl);
    return { status, body: text ? JSON.parse(text) : null };
  }
  async function must(method: string, path: string, body?: unknown, token?: string) {
    const r = await api(method, path, body, token);
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }
  async function startCp(env: Record<string, string> = {}): Promise<void> {
    cp = spawn('ip', ['netns', 'exec', lab.hosts[2]!.ns, process.execPath, VIGIL, 'control-plane', '--port', '8080', '--data-dir', join(work, 'cp')], {
      stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, VIGIL_BOOTSTRAP_TOKEN: TOKEN, ...env },
    });
    cp.stdout!.resume();
    cp.stderr!.resume();
    await until('control plane up', async () => (await api('GET', '/v1/sites').catch(() => ({ status: 0 }))).status === 200, 30_000);
  }
  async function stopCp(): Promise<void> {
    const p = cp;
    cp = undefined;
    if (!p) return;
    await new Promise<void>((resolve) => { p.once('exit', () => resolve()); p.kill('SIGTERM'); });
  }
  function startAgent(name: 'lb1' | 'lb2'): void {
    const i = name === 'lb1' ? 0 : 1;
    const p = spawn('ip', ['netns', 'exec', lab.hosts[i]!.ns, process.execPath, VIGIL, 'agent', '--config', join(work, `${name}.json`), '--state-dir', join(work, name)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout!.on('data', (d: Buffer) => { out = (out + d.toString()).slice(-20_000); });
    p.stderr!.on('data', (d: Buffer) => { out = (out + d.toString()).slice(-20_000); });
    (p as ChildProcess & { out: () => string }).out = () => out;
    agents[name] = p;
  }
  async function stopAgent(name: string, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    const p = agents[name];
    agents[name] = undefined;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => { p.once('exit', () => resolve()); p.kill(signal); });
  }
  async function holds(i: number, vip: string): Promise<boolean> {
    const r = await lab.exec(lab.hosts[i]!.ns, 'ip', ['-o', 'addr', 'show', 'dev', 'eth0']);
    return r.stdout.includes(` ${vip}/`);
  }
  async function until(what: string, pred: () => Promise<boolean>, ms: number): Promise<void> {
    const t0 = Date.now();
    while (!(await pred())) {
      if (Date.now() - t0 > ms) {
        const logs = Object.entries(agents).map(([n, p]) => `${n}: ${(p as (ChildProcess & { out?: () => string }) | undefined)?.out?.().slice(-1500) ?? '-'}`).join('\n');
        throw new Error(`timed out after ${ms} ms waiting for ${what}\n${logs}`);
      }
      await sleep(100);
    }
  }
  /** The outbox's events (its other lines complete a transition written ahead: outbox.ts). */
  const outboxEvents = (name: string) => readFileSync(join(work, name, 'outbox', 'outbox.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { seq?: number; kind?: string }).filter((e) => typeof e.seq === 'number');
  const transitionsInOutbox = (name: string) => outboxEvents(name).filter((e) => e.kind === 'vrrp.transition');
  /** Every event the agent wrote to its outbox has been acknowledged by the control plane. */
  const drained = (name: string) => {
    const seqs = outboxEvents(name).map((e) => e.seq!);
    const s = JSON.parse(readFileSync(join(work, name, 'outbox', 'outbox.state'), 'utf8')) as { acked: number };
    return s.acked >= Math.max(0, ...seqs);
  };

  beforeAll(async () => {
    lab = await createLab({ hosts: 3 });
    work = mkdtempSync(join(tmpdir(), 'vigil-managed-'));
    await startCp();
    await must('POST', '/v1/sites', { name: 'dc1' });
    clusterId = (await must('POST', '/v1/sites/dc1/clusters', { name: 'web' })).id;
    for (const d of ['lb1', 'lb2']) await must('POST', `/v1/clusters/${clusterId}/directors`, { name: d });
    await must('PUT', `/v1/clusters/${clusterId}/spec`, { spec: spec(['192.0.2.100/24']) });
    const enroll = (await must('POST', '/v1/sites/dc1/enrollment-tokens', { maxUses: 2 })).secret as string;
    for (const d of ['lb1', 'lb2'] as const) {
      const r = await must('POST', '/v1/agent/enroll', { cluster: 'web', director: d }, enroll);
      writeFileSync(join(work, `${d}.json`), JSON.stringify({ controlPlane: CP, credential: r.credential, director: d, cluster: 'web', site: 'dc1', pollWaitSeconds: 10 }));
    }
  }, 90_000);

  afterAll(async () => {
    await stopAgent('lb1', 'SIGTERM');
    await stopAgent('lb2', 'SIGTERM');
    await stopCp();
    for (const h of lab?.hosts ?? []) await lab.exec(h.ns, 'ip', ['addr', 'flush', 'dev', 'eth0', 'label', 'eth0']).catch(() => undefined);
    await lab?.destroy();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('enrolled agents fetch their config and elect: lb1 holds the VIP, both report revision 1', async () => {
    startAgent('lb1');
    startAgent('lb2');
    await until('lb1 holds the VIP', () => holds(0, '192.0.2.100'), 15_000);
    await until('lb2 does not', async () => !(await holds(1, '192.0.2.100')), 5000);
    await until('both applied revision 1', async () => {
      const ds = (await must('GET', `/v1/clusters/${clusterId}/directors`)).items as Array<{ appliedRevision: number | null }>;
      return ds.every((d) => d.appliedRevision === 1);
    }, 15_000);
  });

  it('a spec change reaches the agents and applies as a diff; an advert change at one instant on both', async () => {
    const watch = await AddressWatch.start(lab.hosts[0]!.ns);
    const from = new Date().toISOString();
    try {
      await must('PUT', `/v1/clusters/${clusterId}/spec`, { spec: spec(['192.0.2.100/24', '192.0.2.101/24']) });
      // The advertised addresses change: both directors switch at the instant the control plane
      // scheduled (revision time + 5 s), not whenever each poll lands.
      await until('lb1 holds the new VIP', () => holds(0, '192.0.2.101'), 10_000);
      await until('both report revision 2', async () => {
        const ds = (await must('GET', `/v1/clusters/${clusterId}/directors`)).items as Array<{ appliedRevision: number | null }>;
        return ds.every((d) => d.appliedRevision === 2);
      }, 10_000);
      const applied = (await must('GET', `/v1/events?cluster=${clusterId}&kind=config.applied`)).items as Array<{ actor: string; agentTime: string; details: { revision: number; diff: { instances: unknown[] } } }>;
      const mine = ['lb1', 'lb2'].map((d) => applied.find((e) => e.actor === `agent:${d}` && e.details.revision === 2)!);
      const at = mine.map((e) => Date.parse(e.agentTime));
      expect(Math.abs(at[0]! - at[1]!)).toBeLessThan(500);
      // In place on both: no transition anywhere, the first VIP never left lb1, the new one came
      // at the scheduled instant.
      for (const e of mine) expect(e.details.diff.instances).toEqual([{ name: 'VI_1', action: 'changed', changes: ['virtual_ipaddress +192.0.2.101/24'] }]);
      await sleep(500);
      expect((await must('GET', `/v1/events?cluster=${clusterId}&kind=vrrp.transition&since=${encodeURIComponent(from)}`)).items).toEqual([]);
      expect(watch.deletions('192.0.2.100')).toEqual([]);
      const scheduled = [...(agents.lb1 as ChildProcess & { out: () => string }).out().matchAll(/"applyAt":"([^"]+)"/g)].at(-1)?.[1];
      expect(scheduled).toBeDefined();
      const offset = watch.added('192.0.2.101')!.at - Date.parse(scheduled!);
      console.log(`the new VIP appeared ${offset.toFixed(1)} ms after the scheduled instant`);
      expect(Math.abs(offset)).toBeLessThan(300);
      expect(await holds(1, '192.0.2.101')).toBe(false);
    } finally {
      watch.stop();
    }
  });

  it('a revision the backup cannot run is rejected with the reason; the master never gets it (backups first)', async () => {
    const bad = spec(['192.0.2.100/24', '192.0.2.101/24']);
    (bad.vrrpInstances.VI_1 as { interface: string }).interface = 'eth9';
    await must('PUT', `/v1/clusters/${clusterId}/spec`, { spec: bad });
    let rejected: Array<{ actor: string; details: { revision: number; reason: string } }> = [];
    await until('the backup rejects revision 3', async () => {
      rejected = (await must('GET', `/v1/events?cluster=${clusterId}&kind=config.rejected`)).items;
      return rejected.some((e) => e.actor === 'agent:lb2' && e.details.revision === 3);
    }, 20_000);
    expect(rejected[0]!.details.reason).toMatch(/eth9.*nothing was changed/);
    await sleep(2000);
    // The master is held on revision 2 while its backup has not applied 3: traffic never saw it.
    expect((await must('GET', `/v1/events?cluster=${clusterId}&kind=config.rejected`)).items.some((e: { actor: string }) => e.actor === 'agent:lb1')).toBe(false);
    expect(await holds(0, '192.0.2.100')).toBe(true);
    expect(await holds(0, '192.0.2.101')).toBe(true);
    const ds = (await must('GET', `/v1/clusters/${clusterId}/directors`)).items as Array<{ appliedRevision: number; }>;
    expect(ds.map((d) => d.appliedRevision)).toEqual([2, 2]);
    await must('PUT', `/v1/clusters/${clusterId}/spec`, { spec: spec(['192.0.2.100/24', '192.0.2.101/24']) });
    await until('both directors on revision 4', async () => ((await must('GET', `/v1/clusters/${clusterId}/directors`)).items as Array<{ appliedRevision: number }>).every((d) => d.appliedRevision === 4), 20_000);
  });

  it('a priority change and an added track_script apply in place: no transition, the VIP never leaves the master', async () => {
    const watch = await AddressWatch.start(lab.hosts[0]!.ns);
    const from = new Date().toISOString();
    try {
      const revisionOf = async () => ((await must('GET', `/v1/clusters/${clusterId}/directors`)).items as Array<{ appliedRevision: number }>).map((d) => d.appliedRevision);
      const start = Math.max(...(await revisionOf()));
      await must('PUT', `/v1/clusters/${clusterId}/spec`, { spec: spec(['192.0.2.100/24', '192.0.2.101/24'], { priority: 140 }) });
      await until('both on the priority revision', async () => (await revisionOf()).every((r) => r === start + 1), 20_000);
      await must('PUT', `/v1/clusters/${clusterId}/spec`, { spec: spec(['192.0.2.100/24', '192.0.2.101/24'], { priority: 140, script: true }) });
      await until('both on the track_script revision', async () => (await revisionOf()).every((r) => r === start + 2), 20_000);
      await sleep(1500); // the script ran (it succeeds: the priority stays 140)
      const applied = (await must('GET', `/v1/events?cluster=${clusterId}&kind=config.applied&since=${encodeURIComponent(from)}`)).items as Array<{ actor: string; details: { revision: number; diff: { instances: unknown[] } } }>;
      const lb1 = (rev: number) => applied.find((e) => e.actor === 'agent:lb1' && e.details.revision === rev)!.details.diff.instances;
      expect(lb1(start + 1)).toEqual([{ name: 'VI_1', action: 'changed', changes: ['priority 150 -> 140'] }]);
      expect(lb1(start + 2)).toEqual([{ name: 'VI_1', action: 'changed', changes: ['track_script +chk weight -20'] }]);
      expect((await must('GET', `/v1/events?cluster=${clusterId}&kind=vrrp.transition&since=${encodeURIComponent(from)}`)).items).toEqual([]);
      expect(watch.deletions('192.0.2.100')).toEqual([]);
      expect(watch.deletions('192.0.2.101')).toEqual([]);
      expect(await holds(1, '192.0.2.100')).toBe(false);
      // Back to the plain spec for the tests that follow.
      await must('PUT', `/v1/clusters/${clusterId}/spec`, { spec: spec(['192.0.2.100/24', '192.0.2.101/24']) });
      await until('both on the plain revision', async () => (await revisionOf()).every((r) => r === start + 3), 20_000);
    } finally {
      watch.stop();
    }
  });

  it('maintenance: the director leaves gracefully and the peer takes over; off, it comes back', async () => {
    await must('PUT', `/v1/clusters/${clusterId}/directors/lb1/maintenance`, { on: true });
    await until('lb2 holds the VIP', () => holds(1, '192.0.2.100'), 5000);
    expect(await holds(0, '192.0.2.100')).toBe(false);
    await must('PUT', `/v1/clusters/${clusterId}/directors/lb1/maintenance`, { on: false });
    await until('lb1 back as master', async () => (await holds(0, '192.0.2.100')) && !(await holds(1, '192.0.2.100')), 10_000);
    // And on record: the next test crashes lb1 and reads who was master before from the log.
    await until('lb1\'s takeover in /v1/failovers', async () => {
      const f = (await must('GET', `/v1/failovers?cluster=${clusterId}&limit=1`)).items as Array<{ oldMaster: string; newMaster: string }>;
      return f[0]?.oldMaster === 'lb2' && f[0].newMaster === 'lb1';
    }, 10_000);
  });

  it('a crash failover shows in /v1/failovers with the gap since the old master\'s last advert', async () => {
    const crashAt = new Date().toISOString();
    await stopAgent('lb1', 'SIGKILL');
    await until('lb2 holds the VIP', () => holds(1, '192.0.2.100'), 5000);
    let f: Array<{ oldMaster: string; newMaster: string; cause: string; gapMs: number }> = [];
    await until('the failover in the API', async () => {
      // Only this crash's takeover (the spec change above may have moved mastership too).
      f = (await must('GET', `/v1/failovers?cluster=${clusterId}&since=${encodeURIComponent(crashAt)}`)).items;
      return f.length > 0;
    }, 10_000);
    expect(f[0]).toMatchObject({ oldMaster: 'lb1', newMaster: 'lb2' });
    expect(f[0]!.cause).toMatch(/master_down/);
    // Master_Down_Interval at 0.1 s for priority 100: 3 × 100 + 60.9 ms.
    expect(f[0]!.gapMs).toBeGreaterThan(300);
    expect(f[0]!.gapMs).toBeLessThan(600);
  });

  it('with the control plane down failovers still happen, and every transition is logged exactly once afterwards', { timeout: 180_000 }, async () => {
    const step = (m: string) => process.env.VIGIL_TEST_DEBUG && console.log(new Date().toISOString(), m);
    await stopCp();
    step('cp stopped');
    startAgent('lb1'); // from its cached config: removes the VIPs its crash left, elects, preempts
    await until('lb1 back as master', async () => (await holds(0, '192.0.2.100')) && !(await holds(1, '192.0.2.100')), 15_000);
    step('lb1 back');
    await stopAgent('lb1', 'SIGKILL');
    await until('lb2 takes over again', () => holds(1, '192.0.2.100'), 5000);
    startAgent('lb1');
    await until('lb1 master again', async () => (await holds(0, '192.0.2.100')) && !(await holds(1, '192.0.2.100')), 15_000);
    await sleep(500);
    expect(drained('lb1') && drained('lb2')).toBe(false); // the outage kept events in the outboxes
    step('starting cp');
    // Back without the WebSocket: the agents deliver over plain HTTP.
    await startCp({ VIGIL_AGENT_WS: 'off' });
    step('cp up');
    await until('outboxes drained', async () => drained('lb1') && drained('lb2'), 30_000);
    const logged = (await must('GET', `/v1/events?cluster=${clusterId}&kind=vrrp.transition&limit=1000`)).items as Array<{ actor: string }>;
    for (const d of ['lb1', 'lb2']) {
      const mine = logged.filter((e) => e.actor === `agent:${d}`).length;
      expect(mine, d).toBe(transitionsInOutbox(d).length);
    }
    expect((await must('GET', '/v1/events/verify')).ok ?? true).toBeTruthy();
    const f = (await must('GET', `/v1/failovers?cluster=${clusterId}`)).items as Array<{ oldMaster: string; newMaster: string }>;
    expect(f.map((x) => `${x.oldMaster}->${x.newMaster}`).slice(0, 4)).toEqual(['lb2->lb1', 'lb1->lb2', 'lb2->lb1', 'lb1->lb2']);
  });
});
