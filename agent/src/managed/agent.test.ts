/**
 * The managed agent's loops around a whole director on the in-memory OS, with an in-memory
 * control plane: revisions arrive by long-poll and apply as diffs (config.applied carries the
 * per-instance report), a revision that cannot run is reported rejected and changes nothing,
 * events reach the control plane through the outbox, and a refused credential stops the loops
 * with one clear line. The real HTTP/WebSocket path is proven in test/net/managed.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { ClusterSpec } from '../../../schema/src/spec/cluster.ts';
import { resolveDirectorConfig, type ResolvedDirectorConfig } from '../../../schema/src/spec/resolve.ts';
import { DirectorHost } from '../host/director-host.ts';
import { fakeDirectorOs } from '../host/fake.ts';
import { FakeClock, FakeHost, FakeSegment } from '../os/fake/index.ts';
import { ManagedAgent, type ChannelApi } from './agent.ts';
import { parseAgentEvent, ReportedStatus, ReportInput } from '../../../schema/src/wire/index.ts';
import type { ControlPlaneApi, Fetched, ReportAck, ReportBody } from './client.ts';
import { Outbox, type OutboxEvent } from './outbox.ts';

const config = (vips: string[], iface = 'eth0', lb = false): ResolvedDirectorConfig => resolveDirectorConfig(ClusterSpec.parse({
  version: 1,
  directors: { lb1: {} },
  vrrpInstances: { VI_1: { interface: iface, virtualRouterId: 51, version: 3, advertIntervalMs: 100, virtualIpAddresses: vips, directors: { lb1: { priority: 150 } } } },
  ...(lb ? { virtualServers: [{ address: '192.0.2.100', port: 80, protocol: 'TCP', scheduler: 'rr', quorum: 1, realServers: [{ address: '10.0.0.1', port: 80, checkers: [{ type: 'TCP_CHECK', delayLoopMs: 200, retry: 0, warmupMs: 0 }] }] }] } : {}),
}), 'lb1');

/** An in-memory control plane: one director's revisions, long-polled; reports stored by seq. */
class FakeControlPlane implements ControlPlaneApi {
  revision = 0;
  current: ResolvedDirectorConfig | undefined;
  refuse = false;
  readonly stored = new Map<number, OutboxEvent>();
  readonly states: unknown[] = [];
  private waiters: Array<() => void> = [];

  publish(c: ResolvedDirectorConfig): void {
    this.current = c;
    this.revision++;
    for (const w of this.waiters.splice(0)) w();
  }

  async fetchConfig(etag: string | undefined, _wait: number, signal?: AbortSignal): Promise<Fetched> {
    if (this.refuse) return { kind: 'refused', message: 'GET /v1/agent/config: 401 credential revoked' };
    if (!this.current) return { kind: 'error', message: 'no spec yet' };
    if (etag === `"rev-${this.revision}"`) {
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        signal?.addEventListener('abort', () => resolve(), { once: true });
        setTimeout(resolve, 200);
      });
      // As fetch does: an aborted request is an error, whoever aborted it.
      if (signal?.aborted) return { kind: 'error', message: 'GET /v1/agent/config: This operation was aborted' };
      if (etag === `"rev-${this.revision}"`) return { kind: 'unchanged' };
    }
    return { kind: 'config', revision: this.revision, etag: `"rev-${this.revision}"`, config: this.current, maintenance: false };
  }

  /** Events the wire contract refused, or parsed with keys dropped (both must stay empty). */
  readonly contract: string[] = [];

  async report(body: ReportBody): Promise<ReportAck> {
    if (this.refuse) return { ok: false, message: 'POST /v1/agent/reports: 401', refused: true };
    // As the real control plane does: the envelope, then each event, with the wire contract.
    const input = ReportInput.parse(body);
    const conflicts: number[] = [];
    for (const e of body.events) {
      // Another event under a seq already held: a conflict (the control plane's appendEvents).
      const held = this.stored.get(e.seq);
      if (held && (held.kind !== e.kind || held.agentTime !== e.agentTime)) { conflicts.push(e.seq); continue; }
      const p = parseAgentEvent(e);
      if (!p.ok) this.contract.push(`event ${e.seq} (${e.kind}) refused: ${p.reason}`);
      else if (!isDeepStrictEqual(JSON.parse(JSON.stringify(p.event)), JSON.parse(JSON.stringify(e)))) this.contract.push(`event ${e.seq} (${e.kind}) lost fields: sent ${JSON.stringify(e)}, stored ${JSON.stringify(p.event)}`);
      this.stored.set(e.seq, e);
    }
    if (body.state) {
      const st = ReportedStatus.safeParse(body.state);
      if (!st.success) this.contract.push(`state refused: ${st.error.message}`);
      this.states.push(input.state);
    }
    return { ok: true, acked: body.events.at(-1)?.seq ?? null, ...(conflicts.length ? { conflicts, seqAbove: Math.max(...this.stored.keys()) } : {}) };
  }

  events(kind: string) {
    return [...this.stored.values()].filter((e) => e.kind === kind);
  }
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function managedWorld() {
  const clock = new FakeClock(1000);
  const seg = new FakeSegment();
  const host = new FakeHost('lb1', { clock });
  host.attach(seg, { ifname: 'eth0', ipv4: '192.0.2.1/24' });
  const os = fakeDirectorOs(host, clock);
  const stateDir = mkdtempSync(join(tmpdir(), 'vigil-managed-unit-'));
  dirs.push(stateDir);
  const logs: string[] = [];
  const log = (level: string, m: string) => void logs.push(`${level}: ${m}`);
  const outbox = new Outbox(join(stateDir, 'outbox'));
  const cp = new FakeControlPlane();
  const sink: { to?: ManagedAgent } = {};
  const dh = await DirectorHost.open(os.ports, { stateDir, log, onEvent: (e) => sink.to?.event(e) });
  const managed = new ManagedAgent({ host: dh, client: cp, outbox, cachePath: join(stateDir, 'config.json'), pollWaitSeconds: 1, log, stateEveryMs: 100 });
  sink.to = managed;
  const until = async (what: string, pred: () => boolean | Promise<boolean>, ms = 5000) => {
    const t0 = Date.now();
    while (!(await pred())) {
      if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}\n${logs.join('\n')}`);
      clock.advance(10);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  const holds = async (vip: string) => {
    const r = await host.addresses.list('eth0');
    return r.ok && r.value.some((a) => a.address === vip);
  };
  return { clock, host, os, cp, managed, dh, outbox, logs, until, holds, stateDir };
}

describe('ManagedAgent on the in-memory OS and control plane', () => {
  it('applies revisions as diffs, reports config.applied with the per-instance report, and delivers transitions', async () => {
    const w = await managedWorld();
    w.cp.publish(config(['192.0.2.100/24']));
    await w.managed.start();
    await w.until('revision 1 applied and master', async () => w.managed.appliedRevision === 1 && (await w.holds('192.0.2.100')));
    await w.until('the takeover delivered', () => w.cp.events('vrrp.transition').some((e) => (e.details as { to: string }).to === 'master'));
    w.cp.publish(config(['192.0.2.100/24', '192.0.2.101/24']));
    await w.until('revision 2', async () => w.managed.appliedRevision === 2 && (await w.holds('192.0.2.101')));
    await w.until('config.applied of revision 2 delivered', () => w.cp.events('config.applied').length === 2);
    const applied = w.cp.events('config.applied')[1]!.details as { revision: number; diff: { instances: unknown[]; summary: string[] } };
    expect(applied.revision).toBe(2);
    expect(applied.diff.instances).toEqual([{ name: 'VI_1', action: 'changed', changes: ['virtual_ipaddress +192.0.2.101/24'] }]);
    const masters = w.cp.events('vrrp.transition').filter((e) => (e.details as { to: string }).to === 'master');
    expect(masters).toHaveLength(1); // the change moved nothing
    const t = masters[0]!.details as Record<string, unknown>;
    expect(t).toMatchObject({ from: 'backup', reason: 'master_down_timer', vips: ['192.0.2.100/24'] });
    expect(typeof t.incarnation).toBe('string');
    expect(typeof t.vipsAt).toBe('string');
    await w.managed.close();
    w.outbox.close();
  });

  it('no state leaves while a transition is written ahead: the takeover event reaches the control plane before a state that claims it', async () => {
    const w = await managedWorld();
    w.cp.publish(config(['192.0.2.100/24']));
    await w.managed.start();
    await w.until('master and reporting state', async () => (await w.holds('192.0.2.100')) && w.cp.states.length >= 2);
    const at = new Date().toISOString();
    const ahead = { kind: 'vrrp.transition' as const, instance: 'VI_1', from: 'backup' as const, to: 'master' as const, reason: 'preempt', priority: 150, at, incarnation: 'i-1', vips: ['192.0.2.100/24'], vipsAt: null, announcedAt: null };
    const complete = w.managed.eventAhead(ahead);
    const statesBefore = w.cp.states.length;
    // Many state intervals (100 ms here) pass while the event is held: not one state report.
    for (let i = 0; i < 30; i++) {
      w.clock.advance(10);
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(w.cp.states.length).toBe(statesBefore);
    expect(w.cp.events('vrrp.transition').some((e) => e.agentTime === at)).toBe(false);
    complete({ ...ahead, vipsAt: at, announcedAt: at });
    await w.until('the takeover delivered, then state again', () => w.cp.events('vrrp.transition').some((e) => e.agentTime === at) && w.cp.states.length > statesBefore);
    await w.managed.close();
    w.outbox.close();
  });

  it('seqs the control plane already holds for other events (a restart after the state disk lost writes) are sent again under new ones, and nothing is lost', async () => {
    const w = await managedWorld();
    // What the previous run delivered from memory while its disk refused writes: seqs 1-3.
    for (const seq of [1, 2, 3]) w.cp.stored.set(seq, { seq, kind: 'agent.stopping', agentTime: '2026-11-29T09:00:00.000Z', details: { reason: 'SIGTERM' } });
    w.cp.publish(config(['192.0.2.100/24']));
    await w.managed.start();
    try {
      await w.until('config.applied stored', () => w.cp.events('config.applied').length === 1);
      await w.until('agent.started stored', () => w.cp.events('agent.started').length === 1);
      // The old events are untouched; the new run's events sit above them, each once.
      expect([1, 2, 3].map((s) => w.cp.stored.get(s)?.kind)).toEqual(['agent.stopping', 'agent.stopping', 'agent.stopping']);
      const mine = [...w.cp.stored.values()].filter((e) => e.kind !== 'agent.stopping');
      expect(mine.every((e) => e.seq > 3)).toBe(true);
      expect(new Set(mine.map((e) => e.kind + e.agentTime)).size).toBe(mine.length);
      expect(w.logs.some((l) => /^warn: the control plane already holds other events under \d+ of this agent's seqs/.test(l))).toBe(true);
    } finally {
      await w.managed.close();
      w.outbox.close();
    }
  });

  it('a revision that cannot run is reported rejected with the reason; the running one stays', async () => {
    const w = await managedWorld();
    w.cp.publish(config(['192.0.2.100/24']));
    await w.managed.start();
    await w.until('master', () => w.holds('192.0.2.100'));
    w.cp.publish(config(['192.0.2.100/24', '192.0.2.101/24'], 'eth9'));
    await w.until('config.rejected delivered', () => w.cp.events('config.rejected').length === 1);
    expect(w.cp.events('config.rejected')[0]!.details).toMatchObject({ revision: 2, reason: expect.stringMatching(/eth9.*nothing was changed/) });
    expect(w.managed.appliedRevision).toBe(1);
    expect(await w.holds('192.0.2.100')).toBe(true);
    expect(await w.holds('192.0.2.101')).toBe(false);
    await w.managed.close();
    w.outbox.close();
  });

  it('a refused credential stops fetching and reporting with one clear line; the director keeps running', async () => {
    const w = await managedWorld();
    w.cp.publish(config(['192.0.2.100/24']));
    await w.managed.start();
    await w.until('master', () => w.holds('192.0.2.100'));
    w.cp.refuse = true;
    w.cp.publish(config(['192.0.2.100/24', '192.0.2.101/24']));
    await w.until('the refusal logged', () => w.logs.some((l) => l.includes('refused this agent\'s credential')));
    const lines = w.logs.filter((l) => l.includes('refused'));
    await new Promise((r) => setTimeout(r, 300));
    expect(w.logs.filter((l) => l.includes('refused'))).toEqual(lines); // said once, no retry loop
    expect(lines[0]).toMatch(/re-enroll/);
    expect(await w.holds('192.0.2.100')).toBe(true);
    await w.managed.close();
    w.outbox.close();
  });

  it('every event and status it sends is in the wire contract, nothing refused and no field dropped', async () => {
    const w = await managedWorld();
    w.os.down.add('10.0.0.1:80');
    w.cp.publish(config(['192.0.2.100/24'], 'eth0', true));
    await w.managed.start();
    await w.until('master', () => w.holds('192.0.2.100'));
    await w.until('the real server down and the quorum lost, reported', () => w.cp.events('lb.realServer').length > 0 && w.cp.events('lb.quorum').length > 0);
    w.cp.publish(config(['192.0.2.100/24', '192.0.2.101/24'], 'eth0', true));
    await w.until('revision 2', () => w.managed.appliedRevision === 2);
    w.cp.publish(config(['192.0.2.100/24'], 'eth9', true));
    await w.until('revision 3 rejected', () => w.cp.events('config.rejected').length === 1);
    await w.until('state reported', () => w.cp.states.length > 0);
    await w.managed.close(); // the leave (MASTER -> STOP) goes out in the last report
    w.outbox.close();
    expect(new Set([...w.cp.stored.values()].map((e) => e.kind))).toEqual(new Set(['agent.started', 'vrrp.transition', 'lb.realServer', 'lb.quorum', 'config.applied', 'config.rejected', 'agent.stopping']));
    expect(w.cp.events('vrrp.transition').some((e) => (e.details as { to: string }).to === 'stopped')).toBe(true);
    expect(w.cp.events('config.applied')[1]!.details).toMatchObject({ instances: [{ name: 'VI_1', change: 'in_place', why: 'virtual_ipaddress +192.0.2.101/24' }] });
    expect(w.cp.contract).toEqual([]);
  });

  it('starts from the cached revision with the control plane unreachable', async () => {
    const first = await managedWorld();
    first.cp.publish(config(['192.0.2.100/24']));
    await first.managed.start();
    await first.until('revision 1', () => first.managed.appliedRevision === 1);
    await first.managed.close();
    first.outbox.close();
    // A new agent on the same state dir, with a control plane that never answers with a config.
    const clock = new FakeClock(1000);
    const host = new FakeHost('lb1b', { clock });
    host.attach(new FakeSegment(), { ifname: 'eth0', ipv4: '192.0.2.1/24' });
    const os = fakeDirectorOs(host, clock);
    const logs: string[] = [];
    const log = (level: string, m: string) => void logs.push(`${level}: ${m}`);
    const outbox = new Outbox(join(first.stateDir, 'outbox'));
    const dh = await DirectorHost.open(os.ports, { stateDir: first.stateDir, log });
    const cp = new FakeControlPlane();
    const m = new ManagedAgent({ host: dh, client: cp, outbox, cachePath: join(first.stateDir, 'config.json'), pollWaitSeconds: 1, log });
    await m.start();
    expect(m.appliedRevision).toBe(1);
    for (let i = 0; i < 100; i++) {
      clock.advance(10);
      await new Promise((r) => setImmediate(r));
    }
    expect((await dh.status()).instances.map((i) => i.state)).toEqual(['MASTER']);
    await m.close();
    outbox.close();
  });

  it('applies configs the control plane pushes on the WebSocket, without fetching while it pushes', async () => {
    const clock = new FakeClock(1000);
    const seg = new FakeSegment();
    const host = new FakeHost('lb1', { clock });
    host.attach(seg, { ifname: 'eth0', ipv4: '192.0.2.1/24' });
    const os = fakeDirectorOs(host, clock);
    const stateDir = mkdtempSync(join(tmpdir(), 'vigil-managed-push-'));
    dirs.push(stateDir);
    const outbox = new Outbox(join(stateDir, 'outbox'));
    const cp = new FakeControlPlane();
    let fetches = 0;
    const client: ControlPlaneApi = { fetchConfig: (...a) => { fetches++; return cp.fetchConfig(...a); }, report: (b) => cp.report(b) };
    // A WebSocket that pushes (as a control plane does for ?push=config).
    const channel = new (class implements ChannelApi {
      pushing = false;
      push?: (f: Extract<Fetched, { kind: 'config' }>) => void;
      private close?: () => void;
      connect(signal: AbortSignal, _n: () => void, _w: (m: string) => void, _r?: (m: string) => void, onConfig?: (f: Extract<Fetched, { kind: 'config' }>) => void) {
        this.push = (f) => { this.pushing = true; onConfig?.(f); };
        return new Promise<boolean>((resolve) => { this.close = () => resolve(true); signal.addEventListener('abort', () => resolve(true), { once: true }); });
      }
      async report() { return undefined; }
    })();
    const dh = await DirectorHost.open(os.ports, { stateDir, log: () => {}, onEvent: () => {} });
    const m = new ManagedAgent({ host: dh, client, channel, outbox, cachePath: join(stateDir, 'config.json'), pollWaitSeconds: 1, log: () => {}, stateEveryMs: 100 });
    await m.start();
    for (let i = 0; i < 100 && !channel.push; i++) await new Promise((r) => setTimeout(r, 5));
    const before = fetches;
    channel.push!({ kind: 'config', revision: 7, etag: '"rev-7"', config: config(['192.0.2.100/24']), maintenance: false });
    for (let i = 0; i < 200 && m.appliedRevision !== 7; i++) { clock.advance(10); await new Promise((r) => setTimeout(r, 5)); }
    expect(m.appliedRevision).toBe(7);
    channel.push!({ kind: 'config', revision: 8, etag: '"rev-8"', config: config(['192.0.2.100/24', '192.0.2.101/24']), maintenance: false });
    for (let i = 0; i < 200 && m.appliedRevision !== 8; i++) { clock.advance(10); await new Promise((r) => setTimeout(r, 5)); }
    expect(m.appliedRevision).toBe(8);
    // At most the one fetch in flight when the first push came; none while it pushed.
    expect(fetches - before).toBeLessThanOrEqual(1);
    await m.close();
    outbox.close();
  });

  it('a long-poll cut short by its own WebSocket closing is not logged as the control plane unreachable', async () => {
    const w = await managedWorld();
    w.cp.publish(config(['192.0.2.100/24']));
    const logs: string[] = [];
    let closes = 0;
    // A WebSocket that opens and closes again every 30 ms (a control plane restarting, a proxy).
    const channel: ChannelApi = {
      pushing: false,
      connect: (signal) => new Promise<boolean>((resolve) => {
        const t = setTimeout(() => { closes++; resolve(true); }, 30);
        signal.addEventListener('abort', () => { clearTimeout(t); resolve(true); }, { once: true });
      }),
      report: async () => undefined,
    };
    const stateDir = mkdtempSync(join(tmpdir(), 'vigil-managed-close-'));
    dirs.push(stateDir);
    const outbox = new Outbox(join(stateDir, 'outbox'));
    const m = new ManagedAgent({ host: w.dh, client: w.cp, channel, outbox, cachePath: join(stateDir, 'config.json'), pollWaitSeconds: 1, log: (level, msg) => void logs.push(`${level}: ${msg}`), stateEveryMs: 100 });
    await m.start();
    // (The agent waits a jittered 0-1, 0-2, 0-4 s before reconnecting.)
    for (let i = 0; i < 1500 && closes < 3; i++) { w.clock.advance(10); await new Promise((r) => setTimeout(r, 5)); }
    expect(closes).toBeGreaterThanOrEqual(2);
    expect(m.appliedRevision).toBe(1);
    expect(logs.filter((l) => l.includes('unreachable for config'))).toEqual([]);
    await m.close();
    outbox.close();
  });

  it('a wall clock stepped back by minutes does not silence the state reports', async () => {
    const w = await managedWorld();
    w.cp.publish(config(['192.0.2.100/24']));
    await w.managed.start();
    await w.until('master, its takeover delivered', () => w.cp.events('vrrp.transition').some((e) => (e.details as { to: string }).to === 'master'));
    const quiet = w.cp.stored.size;
    await w.until('state reports flowing with no events', () => w.cp.states.length >= 3);
    expect(w.cp.stored.size).toBe(quiet);
    // The wall clock jumps back 10 minutes (NTP, an operator); timers and the monotonic clock do not.
    const realNow = Date.now;
    const skew = 10 * 60_000;
    Date.now = () => realNow() - skew;
    try {
      const before = w.cp.states.length;
      await w.until('state reports after the step', () => w.cp.states.length >= before + 3, 3000);
      expect(w.cp.stored.size).toBe(quiet); // carried by no event: the periodic state itself
    } finally {
      Date.now = realNow;
      await w.managed.close();
    }
  });
});
