/**
 * The agent: every VRRP instance of one director's effective config, running on the OS ports.
 *
 *   start(config)   open sockets, read link state, start trackers, `startup` every instance
 *   reload(config)  as a diff: an instance whose effective config is unchanged keeps its state,
 *                   timers and VIPs; removed or changed ones leave (priority 0) and restart
 *   stop()          `shutdown` every instance (priority-0 advert, VIPs removed), notify stop
 *
 * Tracking (interfaces through link notifications, scripts as child processes, files) feeds
 * `trackerChanged` / `interfaceDown|Up`; sync groups follow their members; every transition
 * becomes a structured event and runs the notify hooks in order.
 */
import type { ResolvedDirectorConfig, ResolvedVrrpInstance } from '../../../schema/src/spec/resolve.ts';
import type { NotifyHooks } from '../../../schema/src/spec/tracking.ts';
import type { AddressManager, AddressSpec, Announcer, Clock, LinkMonitor, LinkState, RouteManager, VrrpSocketFactory } from '../os/ports.ts';
import { effectivePriority, type TrackedObjectStatus } from '../vrrp/priority.ts';
import type { Effect, VrrpStateName } from '../vrrp/state.ts';
import { syncGroupFollow, syncGroupState } from '../vrrp/sync-group.ts';
import { diffInstances } from './diff.ts';
import { HookQueue, type HookRunner } from './hooks.ts';
import { heldVips, RunningInstance } from './instance.ts';
import { planInstance } from './plan.ts';
import { serializeAddresses, serializeRoutes } from './serialize.ts';
import { SocketPool } from './socket-pool.ts';
import { Trackers } from './trackers.ts';
import { statusOf, type AgentStatus } from './status.ts';

export interface AgentEvent {
  kind: 'vrrp.transition';
  instance: string;
  from: VrrpStateName;
  to: VrrpStateName;
  reason: string;
  priority: number;
  /** Wall-clock time of the transition. */
  at: string;
  /** When the last advert from another router arrived (the old master's, on a takeover). */
  lastAdvertAt?: string | null;
  /** The master this instance last heard. */
  masterAddress?: string | null;
}

export interface AgentPorts {
  sockets: VrrpSocketFactory;
  addresses: AddressManager;
  announcer: Announcer;
  /** virtual_routes; without it instances with routes only log that they cannot install them. */
  routes?: RouteManager;
  links: LinkMonitor;
  clock: Clock;
  hooks: HookRunner;
  log: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
  onEvent?: (e: AgentEvent) => void;
  /**
   * Every VIP this agent's instances may configure, for crash cleanup on the next start (as
   * keepalived removes its VIPs at startup). Written when the instance set changes (start,
   * reload, leave), never on a takeover: a file write must not sit on the failover path.
   */
  recordVips?: (vips: AddressSpec[]) => void;
  /** The VIPs held right now changed (the load balancer's ha_suspend follows them). No I/O here. */
  onHeldVips?: (vips: AddressSpec[]) => void;
  /** notify_fifo writer (keepalived's line format). */
  fifo?: (line: string) => void;
}

const STATE_WORD: Record<VrrpStateName, string> = { master: 'MASTER', backup: 'BACKUP', fault: 'FAULT', stopped: 'STOP', initialize: 'INIT' };

export class Agent {
  readonly instances = new Map<string, RunningInstance>();
  private config: ResolvedDirectorConfig | undefined;
  private readonly pool: SocketPool;
  private readonly notify: HookQueue;
  private readonly links = new Map<string, LinkState>();
  private trackers: Trackers | undefined;
  private offLinks: (() => void) | undefined;
  private stopping = false;
  /** Each sync group's last notified state (keepalived notifies a group on its own transitions). */
  private readonly groupStates = new Map<string, VrrpStateName>();

  private readonly addresses: AddressManager;
  private readonly routes: RouteManager | undefined;

  constructor(private readonly ports: AgentPorts) {
    this.addresses = serializeAddresses(ports.addresses);
    this.routes = ports.routes ? serializeRoutes(ports.routes) : undefined;
    this.pool = new SocketPool(ports.sockets);
    this.notify = new HookQueue(ports.hooks, (cmd, args, r) => {
      if (r.code !== 0) ports.log('warn', `notify hook "${cmd}" ${r.timedOut ? 'timed out' : `exited ${r.code ?? r.error}`}`, { args });
    });
  }

  async start(config: ResolvedDirectorConfig): Promise<void> {
    const listed = await this.ports.links.list();
    if (listed.ok) for (const l of listed.value) this.links.set(l.ifname, l);
    this.offLinks = this.ports.links.onChange((l) => this.linkChanged(l));
    await this.apply(config, Object.keys(config.instances), []);
  }

  /** Applies a new config as a diff; returns what changed. */
  async reload(config: ResolvedDirectorConfig): Promise<{ kept: string[]; restarted: string[]; removed: string[]; added: string[] }> {
    const d = diffInstances(this.config!, config);
    // Everything the new instances need must be there before anything running is touched: a
    // reload that cannot complete changes nothing (the running config stays).
    await this.preflight(config, [...d.added, ...d.changed]);
    for (const name of [...d.removed, ...d.changed]) await this.leave(name);
    await this.apply(config, [...d.added, ...d.changed], d.kept);
    return { kept: d.kept, restarted: d.changed, removed: d.removed, added: d.added };
  }

  /** Throws (changing nothing) when an instance of `names` cannot run: no interface, no address. */
  private async preflight(config: ResolvedDirectorConfig, names: string[]): Promise<void> {
    const problems: string[] = [];
    for (const name of names) {
      try {
        const plan = planInstance(config.instances[name]!);
        const sock = await this.pool.acquire(plan.socket);
        if (!sock.ok) problems.push(`vrrp_instance ${name}: VRRP socket on ${plan.socket.ifname}: ${sock.message}`);
        else if (!sock.value.localAddress(plan.destinations[0])) problems.push(`vrrp_instance ${name}: ${plan.socket.ifname} has no IPv${plan.socket.family} address to send adverts from`);
      } catch (e) {
        problems.push(`vrrp_instance ${name}: ${(e as Error).message}`);
      }
    }
    this.pool.releaseUnused();
    if (problems.length) throw new Error(`${problems.join('; ')} (nothing was changed)`);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const name of [...this.instances.keys()]) await this.leave(name);
    this.trackers?.stop();
    this.offLinks?.();
    this.pool.closeAll();
    await this.notify.drain();
  }

  status(): AgentStatus {
    return statusOf(this);
  }

  trackedStatus(inst: ResolvedVrrpInstance): TrackedObjectStatus[] {
    const all = this.trackedStatusAll(inst);
    // keepalived ignores weighted trackers on sync group members unless the group allows them
    // (sync_group_tracking_weight): only weight-0 (FAULT) trackers move a group member.
    const g = inst.syncGroup ? this.config?.syncGroups[inst.syncGroup] : undefined;
    return g && !g.trackingWeight ? all.filter((t) => t.weight === 0) : all;
  }

  private trackedStatusAll(inst: ResolvedVrrpInstance): TrackedObjectStatus[] {
    const out: TrackedObjectStatus[] = [];
    for (const t of inst.trackInterfaces) out.push({ name: `interface:${t.interface}`, up: this.linkUp(t.interface), weight: t.weight, reverse: t.reverse });
    for (const t of inst.trackScripts) {
      const s = this.trackers?.status(t.name);
      if (s) out.push({ name: s.name, up: s.up, weight: t.weight, reverse: t.reverse });
    }
    for (const t of inst.trackProcesses) {
      const s = this.trackers?.status(t.name);
      if (s) out.push({ name: s.name, up: s.up, weight: t.weight, reverse: t.reverse });
    }
    for (const t of inst.trackFiles) {
      const s = this.trackers?.status(t.name);
      if (!s || s.value === undefined) continue;
      // track_file: the file's value times the weight adjusts the priority; with weight 0 any
      // non-zero value is a fault (keepalived.conf(5) track_file).
      if (t.weight === 0) out.push({ name: s.name, up: s.value === 0, weight: 0 });
      else {
        const total = Math.max(-253, Math.min(253, s.value * t.weight * (t.reverse ? -1 : 1)));
        out.push({ name: s.name, up: total >= 0, weight: total });
      }
    }
    return out;
  }

  /** Every VIP of every running instance (what a crash could leave behind). */
  configuredVips(): AddressSpec[] {
    return [...this.instances.values()].flatMap((i) => i.plan.vips);
  }

  resolved(name: string): ResolvedVrrpInstance | undefined {
    return this.config?.instances[name];
  }

  private async apply(config: ResolvedDirectorConfig, start: string[], kept: string[]): Promise<void> {
    this.config = config;
    this.trackers?.stop();
    this.trackers = new Trackers(config, this.ports.hooks, this.ports.clock, () => this.retrack(), (m) => this.ports.log('warn', m));
    const started: RunningInstance[] = [];
    for (const name of start) {
      const resolved = config.instances[name]!;
      const plan = planInstance(resolved);
      const sock = await this.pool.acquire(plan.socket);
      if (!sock.ok) throw new Error(`vrrp_instance ${name}: VRRP socket on ${plan.socket.ifname}: ${sock.message}`);
      const primary = sock.value.localAddress(plan.destinations[0]);
      if (!primary) throw new Error(`vrrp_instance ${name}: ${plan.socket.ifname} has no IPv${plan.socket.family} address to send adverts from`);
      const inst = new RunningInstance(plan, sock.value, primary, {
        addresses: this.addresses,
        announcer: this.ports.announcer,
        ...(this.routes ? { routes: this.routes } : {}),
        clock: this.ports.clock,
        onEffect: (i, e) => this.effect(i, e),
        onVipsChanged: () => this.ports.onHeldVips?.(heldVips(this.instances.values())),
        warn: (m) => this.ports.log('warn', m),
      });
      this.instances.set(name, inst);
      this.pool.join(plan.socket, inst);
      started.push(inst);
    }
    for (const inst of started) {
      const r = config.instances[inst.name]!;
      if (!r.dontTrackPrimary && this.links.has(inst.plan.socket.ifname) && !this.linkUp(inst.plan.socket.ifname)) inst.dispatch({ type: 'interfaceDown' });
      this.retrackOne(inst);
    }
    for (const g of Object.values(config.syncGroups)) this.follow(g.group);
    this.ports.recordVips?.(this.configuredVips());
    for (const inst of started) inst.dispatch({ type: 'startup' });
    void kept;
    this.trackers.start();
  }

  private async leave(name: string): Promise<void> {
    const inst = this.instances.get(name);
    if (!inst) return;
    inst.dispatch({ type: 'shutdown' });
    inst.cancelTimer();
    await inst.settled();
    this.instances.delete(name);
    this.pool.leave(inst.plan.socket, inst);
    this.ports.recordVips?.(this.configuredVips());
    this.ports.onHeldVips?.(heldVips(this.instances.values()));
  }

  private linkUp(ifname: string): boolean {
    const l = this.links.get(ifname);
    return l ? l.up && l.running : false;
  }

  private linkChanged(l: LinkState): void {
    const before = this.linkUp(l.ifname);
    this.links.set(l.ifname, l);
    const now = this.linkUp(l.ifname);
    if (before === now || this.stopping) return;
    for (const inst of this.instances.values()) {
      const r = this.config?.instances[inst.name];
      if (r && !r.dontTrackPrimary && inst.plan.socket.ifname === l.ifname) inst.dispatch({ type: now ? 'interfaceUp' : 'interfaceDown' });
    }
    this.retrack();
  }

  /** Recomputes every instance's effective priority from its tracked objects. */
  private retrack(): void {
    if (this.stopping) return;
    for (const inst of this.instances.values()) this.retrackOne(inst);
    for (const g of Object.values(this.config?.syncGroups ?? {})) this.follow(g.group);
  }

  private retrackOne(inst: RunningInstance): void {
    const r = this.config?.instances[inst.name];
    if (!r) return;
    const eff = effectivePriority(r.priority, this.trackedStatus(r));
    if (eff.priority !== inst.state.priority || eff.fault !== inst.state.trackFault) inst.dispatch({ type: 'trackerChanged', priority: eff.priority, fault: eff.fault });
  }

  private follow(group: string[], trigger?: { name: string; from: VrrpStateName; to: VrrpStateName }): void {
    const members = group.map((n) => this.instances.get(n)).filter((m): m is RunningInstance => m !== undefined);
    for (const { name, event } of syncGroupFollow(members.map((m) => ({ name: m.name, state: m.state })), trigger)) this.instances.get(name)?.dispatch(event);
  }

  private effect(inst: RunningInstance, e: Effect): void {
    if (e.type !== 'transition') return;
    const r = this.config?.instances[inst.name];
    this.ports.log('info', `${inst.name}: ${STATE_WORD[e.from]} -> ${STATE_WORD[e.to]} (${e.reason})`, { instance: inst.name, from: e.from, to: e.to, reason: e.reason, priority: e.priority });
    this.ports.onEvent?.({
      kind: 'vrrp.transition', instance: inst.name, from: e.from, to: e.to, reason: e.reason, priority: e.priority, at: new Date().toISOString(),
      lastAdvertAt: inst.lastAdvertAt === null ? null : new Date(inst.lastAdvertAt).toISOString(), masterAddress: inst.state.masterAddress ?? null,
    });
    const word = STATE_WORD[e.to];
    const hooks = r?.notify;
    const specific = e.to === 'master' ? hooks?.master : e.to === 'backup' ? hooks?.backup : e.to === 'fault' ? hooks?.fault : e.to === 'stopped' ? hooks?.stop : undefined;
    const user = hooks?.user ?? this.config?.global.scriptUser;
    if (specific) this.notify.push(specific, [], user);
    if (hooks?.any) this.notify.push(hooks.any, ['INSTANCE', inst.name, word, String(e.priority)], user);
    this.ports.fifo?.(`INSTANCE "${inst.name}" ${word} ${e.priority}`);
    if (r?.syncGroup) {
      const g = this.config?.syncGroups[r.syncGroup];
      if (g && !this.stopping) this.follow(g.group, { name: inst.name, from: e.from, to: e.to });
      if (g) this.notifyGroup(r.syncGroup, g);
    }
  }

  /**
   * keepalived's group notifies: `notify_master|backup|fault|stop` of the vrrp_sync_group, then
   * `notify` with "GROUP name STATE 0", and the FIFO line `GROUP "name" STATE 0`, each time the
   * group's state changes (after the members followed, so MASTER means all of them are).
   */
  private notifyGroup(name: string, g: { group: string[]; notify?: NotifyHooks }): void {
    const states = g.group.map((n) => this.instances.get(n)?.state.state).filter((x): x is VrrpStateName => x !== undefined);
    const next = syncGroupState(states);
    if (next === null || this.groupStates.get(name) === next) return;
    this.groupStates.set(name, next);
    const hooks = g.notify;
    const word = STATE_WORD[next];
    const specific = next === 'master' ? hooks?.master : next === 'backup' ? hooks?.backup : next === 'fault' ? hooks?.fault : hooks?.stop;
    const user = hooks?.user ?? this.config?.global.scriptUser;
    this.ports.log('info', `sync group ${name}: ${word}`, { syncGroup: name, state: next });
    if (specific) this.notify.push(specific, [], user);
    if (hooks?.any) this.notify.push(hooks.any, ['GROUP', name, word, '0'], user);
    this.ports.fifo?.(`GROUP "${name}" ${word} 0`);
  }
}
