/**
 * The load-balancer side of the agent, on the main thread: real-server health comes in from the
 * check engine (a worker thread, see checks/health-worker.ts), the desired virtual-server table
 * is recomputed (desired.ts, pure) and handed to the data plane (IPVS over generic netlink, or
 * nftables), which applies only the difference. Around that, keepalived's LVS behaviour:
 *
 * - notify_up / notify_down per real server and quorum_up / quorum_down per virtual server,
 *   run in order through the hook queue (never on the advert path);
 * - ha_suspend: a virtual server whose address is not a VIP this director holds is not checked;
 * - drain: an operator sets a real server's weight to 0 (existing connections finish);
 * - omega: on shutdown, run notify_down / quorum_down for what was up.
 *
 * It sees only the load-balancing part of a director's config ({@link lbPart}): a VRRP-only
 * change never reaches it. Health, drains and quorum are kept by identity (lb/identity.ts), so a
 * reload keeps them for every real server still there, wherever it moved in the list, and the
 * checkers whose definition did not change keep running with their state.
 *
 * Reconciles are coalesced: a burst of health changes (a rack losing power) is one pass.
 */
import type { ClusterSpec } from '#schema';
import { parseIp } from '#schema';
import type { ResolvedDirectorConfig } from '../../../schema/src/spec/resolve.ts';
import type { HookQueue } from './hooks.ts';
import type { RealServerHealth } from '../checks/engine.ts';
import type { HealthSource } from '../checks/source.ts';
import { desiredTable } from '../lb/desired.ts';
import { lbIdentities, type LbIdentities } from '../lb/identity.ts';
import type { LbController } from '../os/lb-backend.ts';
import type { VirtualServerTable } from '../lb/model.ts';

export type { HealthSource };

/** What programs the kernel (IpvsController or NftController), and its name for logs. */
export interface LbDataPlane {
  readonly name: string;
  readonly controller: LbController;
}

export interface LbEvent {
  kind: 'lb.realServer' | 'lb.quorum';
  virtualServer: string;
  realServer?: string;
  up: boolean;
  reason: string;
  at: string;
}

export interface LbPorts {
  dataPlane: LbDataPlane;
  health: HealthSource;
  notify: HookQueue;
  log: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
  onEvent?: (e: LbEvent) => void;
}

/** The load-balancing part of a director's config: all the load balancer ever sees. */
export interface LbConfig {
  virtualServers: ClusterSpec['virtualServers'];
  virtualServerGroups: ClusterSpec['virtualServerGroups'];
  /** Only the track_files a FILE_CHECK reads (the VRRP ones are the VRRP side's). */
  trackFiles: ClusterSpec['trackFiles'];
  /** script_user for notify_up/down and quorum_up/down. */
  scriptUser?: string;
}

/** The load-balancing part of `config`. */
export function lbPart(config: ResolvedDirectorConfig): LbConfig {
  const files = new Set<string>();
  for (const vs of config.virtualServers) for (const rs of vs.realServers) for (const c of rs.checkers) if (c.type === 'FILE_CHECK') files.add(c.trackFile);
  const trackFiles = Object.fromEntries(Object.entries(config.trackFiles).filter(([name]) => files.has(name)));
  return {
    virtualServers: config.virtualServers,
    virtualServerGroups: config.virtualServerGroups,
    trackFiles,
    ...(config.global.scriptUser ? { scriptUser: config.global.scriptUser } : {}),
  };
}

export interface RealServerStatus {
  virtualServer: string;
  address: string;
  port: number;
  up: boolean;
  weight: number;
  drained: boolean;
  reason: string;
  /** The real server's identity (lb/identity.ts): what drain and health are keyed by. */
  id: string;
}

type VirtualServer = ClusterSpec['virtualServers'][number];
type RealServer = VirtualServer['realServers'][number];

export class LbRuntime {
  private config: LbConfig | undefined;
  private ids: LbIdentities = { vs: [], rs: [] };
  /** Identity -> where it is in the current config. */
  private byRs = new Map<string, { vs: VirtualServer; rs: RealServer }>();
  private readonly health = new Map<string, RealServerHealth>();
  private readonly drained = new Set<string>();
  private quorum = new Map<string, boolean>();
  private heldVips = new Set<string>();
  private scheduled = false;
  private chain: Promise<void> = Promise.resolve();
  /** The pass queued behind the running one, not started yet: it serves every request until it starts. */
  private queued: Promise<void> | undefined;
  private stopped = false;
  private lastDesired: VirtualServerTable | undefined;
  private refreshedAt = -Infinity;
  lastProblems: string[] = [];

  constructor(private readonly ports: LbPorts) {}

  async start(config: LbConfig): Promise<void> {
    this.use(config);
    const initial = await this.ports.health.start(config.virtualServers, config.trackFiles, (h) => this.onHealth(h));
    for (const h of initial) this.health.set(h.rsKey, h);
    this.applySuspensions();
    await this.sync();
  }

  /**
   * A new revision's load-balancing part: nothing happens when it is the same; otherwise the
   * checkers migrate (unchanged ones keep their state), health, drains and quorum stay with the
   * real servers and virtual servers that are still there, and the table is reconciled.
   */
  async reload(config: LbConfig): Promise<void> {
    if (JSON.stringify(config) === JSON.stringify(this.config)) return;
    this.use(config);
    const now = await this.ports.health.update(config.virtualServers, config.trackFiles);
    const known = new Set(this.byRs.keys());
    for (const k of [...this.health.keys()]) if (!known.has(k)) this.health.delete(k);
    for (const h of now) this.health.set(h.rsKey, h);
    for (const k of [...this.drained]) if (!known.has(k)) this.drained.delete(k);
    const vsKnown = new Set(this.ids.vs);
    for (const k of [...this.quorum.keys()]) if (!vsKnown.has(k)) this.quorum.delete(k);
    this.applySuspensions();
    await this.sync();
  }

  private use(config: LbConfig): void {
    this.config = config;
    this.ids = lbIdentities(config.virtualServers);
    this.byRs = new Map();
    config.virtualServers.forEach((vs, v) => vs.realServers.forEach((rs, r) => this.byRs.set(this.ids.rs[v]![r]!, { vs, rs })));
  }

  /** The VIPs this director holds now (ha_suspend follows them). */
  setHeldVips(addresses: Iterable<string>): void {
    this.heldVips = new Set([...addresses].map((a) => parseIp(a)?.canonical ?? a));
    this.applySuspensions();
  }

  /** Operator drain of the real server with identity `id`: weight 0 for new connections; `false` undoes it. */
  async drain(id: string, on: boolean): Promise<void> {
    if (!this.byRs.has(id)) throw new Error(`no real server ${id}`);
    if (on) this.drained.add(id);
    else this.drained.delete(id);
    await this.sync();
  }

  /** Checker counters from the health engine (attempts, failures, in flight). */
  checkStats() {
    return this.ports.health.stats();
  }

  /**
   * Reads the kernel's table again (fresh counters for status and metrics): a pass with the
   * current desired table, which writes nothing when the kernel already matches it.
   */
  async refreshTable(): Promise<void> {
    const desired = this.lastDesired;
    if (!desired || this.stopped) return;
    // At most twice a second: a scrape every few seconds is normal, a status loop must not turn
    // into a read-back loop (a big nftables table is a sizeable JSON document).
    if (performance.now() - this.refreshedAt < 500) return;
    this.refreshedAt = performance.now();
    const run = this.chain.then(async () => {
      await this.ports.dataPlane.controller.apply(desired);
    });
    this.chain = run.catch(() => undefined);
    await this.chain;
  }

  /** The kernel's table as last read back (counters where the data plane has them). */
  table() {
    return this.ports.dataPlane.controller.lastTable;
  }

  status(): RealServerStatus[] {
    const out: RealServerStatus[] = [];
    this.config?.virtualServers.forEach((vs, v) => {
      vs.realServers.forEach((rs, r) => {
        const id = this.ids.rs[v]![r]!;
        const h = this.health.get(id);
        const drained = this.drained.has(id);
        out.push({ virtualServer: vsName(vs), address: rs.address, port: rs.port ?? vs.port ?? 0, up: h?.up ?? true, weight: drained ? 0 : (h?.weight ?? rs.weight), drained, reason: h?.reason ?? '', id });
      });
    });
    return out;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.ports.health.stop();
    await this.chain;
    // omega: tell the notifiers everything that was up is going down with us.
    this.config?.virtualServers.forEach((vs, v) => {
      if (!vs.omega) return;
      vs.realServers.forEach((rs, r) => {
        if ((this.health.get(this.ids.rs[v]![r]!)?.up ?? true) && rs.notifyDown) this.ports.notify.push(rs.notifyDown, [], this.config?.scriptUser);
      });
      if (this.quorum.get(this.ids.vs[v]!) !== false && vs.quorumDown) this.ports.notify.push(vs.quorumDown, [], this.config?.scriptUser);
    });
    // keepalived removes the virtual servers it configured when it stops: so do we (nftables:
    // the table; IPVS: the services we own, by applying an empty table).
    const dp = this.ports.dataPlane.controller;
    const r = dp.stop ? await dp.stop() : await dp.apply({ services: [] });
    if (!r.ok) this.ports.log('warn', `${this.ports.dataPlane.name}: removing the virtual servers on stop: ${r.message}`);
  }

  private onHealth(h: RealServerHealth): void {
    const prev = this.health.get(h.rsKey);
    const where = this.byRs.get(h.rsKey);
    // A result for a real server the current config no longer has (an update raced it).
    if (!this.config || this.stopped || !where) return;
    this.health.set(h.rsKey, h);
    if (!prev || prev.up !== h.up) {
      const { vs, rs } = where;
      const name = `${rs.address}:${rs.port ?? vs.port ?? 0}`;
      this.ports.log(h.up ? 'info' : 'warn', `real server ${name} of ${vsName(vs)} is ${h.up ? 'UP' : `DOWN (${h.reason})`}`, { virtualServer: vsName(vs), realServer: name, up: h.up, reason: h.reason });
      this.ports.onEvent?.({ kind: 'lb.realServer', virtualServer: vsName(vs), realServer: name, up: h.up, reason: h.reason, at: new Date().toISOString() });
      const hook = h.up ? rs.notifyUp : rs.notifyDown;
      if (hook) this.ports.notify.push(hook, [], this.config.scriptUser);
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // One pass for everything that changed in this turn of the event loop.
    setImmediate(() => {
      this.scheduled = false;
      void this.sync();
    });
  }

  /**
   * A reconcile pass after the running one. A pass reads the health, drains and config when it
   * starts, so one queued pass serves every change made before it starts: three real servers
   * going down while a pass runs `nft` are one more pass, not three in a row (each a process
   * spawn), and the last change reaches the data plane after at most the running pass and one.
   */
  private sync(): Promise<void> {
    if (this.queued) return this.queued;
    const run = this.chain.then(() => {
      this.queued = undefined;
      return this.pass();
    });
    this.chain = run.catch((err: unknown) => this.ports.log('error', `load balancer reconcile failed: ${(err as Error).message}`));
    this.queued = this.chain;
    return this.chain;
  }

  private async pass(): Promise<void> {
    const config = this.config;
    if (!config || this.stopped) return;
    const up = new Map<string, boolean>();
    const weights = new Map<string, number>();
    for (const [k, h] of this.health) {
      up.set(k, h.up);
      weights.set(k, h.weight);
    }
    for (const k of this.drained) weights.set(k, 0);
    const d = desiredTable({ virtualServers: config.virtualServers, virtualServerGroups: config.virtualServerGroups, health: up, weights, previousQuorum: this.quorum });
    config.virtualServers.forEach((vs, v) => {
      const key = this.ids.vs[v]!;
      const q = d.quorum.get(key);
      const was = this.quorum.get(key);
      if (q === undefined || was === undefined || was === q) return;
      this.ports.log(q ? 'info' : 'warn', `virtual server ${vsName(vs)}: quorum ${q ? 'gained' : 'lost'}`, { virtualServer: vsName(vs), quorum: q });
      this.ports.onEvent?.({ kind: 'lb.quorum', virtualServer: vsName(vs), up: q, reason: q ? 'quorum gained' : 'quorum lost', at: new Date().toISOString() });
      const hook = q ? vs.quorumUp : vs.quorumDown;
      if (hook) this.ports.notify.push(hook, [], config.scriptUser);
    });
    this.quorum = d.quorum;
    if (d.problems.join('\n') !== this.lastProblems.join('\n')) for (const p of d.problems) this.ports.log('warn', p);
    this.lastProblems = d.problems;
    this.lastDesired = d.table;
    const r = await this.ports.dataPlane.controller.apply(d.table);
    if (!r.ok) this.ports.log('error', `${this.ports.dataPlane.name}: ${r.message}`);
  }

  private applySuspensions(): void {
    this.config?.virtualServers.forEach((vs, v) => {
      if (!vs.haSuspend || vs.address === undefined) return;
      const canonical = parseIp(vs.address)?.canonical ?? vs.address;
      this.ports.health.suspend(this.ids.vs[v]!, !this.heldVips.has(canonical));
    });
  }
}

/** "TCP 192.0.2.100:80", "FWM 5", "group web": how keepalived names a virtual server in logs. */
export function vsName(vs: ClusterSpec['virtualServers'][number]): string {
  if (vs.fwmark !== undefined) return `FWM ${vs.fwmark}`;
  if (vs.group !== undefined) return `group ${vs.group}`;
  const a = vs.address ?? '';
  return `${vs.protocol} ${a.includes(':') ? `[${a}]` : a}:${vs.port ?? 0}`;
}
