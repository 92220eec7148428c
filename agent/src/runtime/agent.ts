/**
 * The agent: every VRRP instance of one director's effective config, running on the OS ports.
 *
 *   prepare(config)  everything a revision needs (plans, VRRP sockets, a source address per
 *                    instance) acquired without touching anything running; problems are returned
 *   commit(prepared) applies it as a diff (diff.ts): removed instances leave, restarted ones leave
 *                    (priority 0 when master) and start again, changed ones change in place
 *                    (state, timers and VIPs kept; only the VIP difference touches the kernel),
 *                    unchanged ones are not touched
 *   start / reload   prepare + commit (throwing with every problem when the revision cannot run)
 *   stop()           `shutdown` every instance (priority-0 advert, VIPs removed), notify stop
 *
 * Every step result of an instance is executed here (`commit` of one step), in phases, for the
 * instance alone or with the members of its sync group that follow it: every member's VIP
 * request first, then the adverts, then the announcements once all the VIPs are in, then the
 * reports (events, logs, notify hooks), which wait (bounded) for the kernel to confirm so an
 * event says when the VIPs really came or went. A sync group takes over as one: no member's
 * VIP waits for another member's logs, hooks or outbox write.
 *
 * Tracking (interfaces through link notifications, scripts as child processes, files) feeds
 * `trackerChanged` / `interfaceDown|Up`; sync groups follow their members; every transition
 * becomes a structured event and runs the notify hooks in order.
 */
import type { ResolvedDirectorConfig, ResolvedVrrpInstance } from '../../../schema/src/spec/resolve.ts';
import type { NotifyHooks } from '../../../schema/src/spec/tracking.ts';
import type { AddressManager, AddressSpec, Announcer, Clock, LinkMonitor, LinkState, RouteManager, VrrpSocket, VrrpSocketFactory } from '../os/ports.ts';
import { step } from '../vrrp/fsm.ts';
import { effectivePriority, type TrackedObjectStatus } from '../vrrp/priority.ts';
import type { Effect, StepResult, VrrpEvent, VrrpStateName } from '../vrrp/state.ts';
import { syncGroupFollow, syncGroupLowerPrioFollow, syncGroupState, type MemberTransition } from '../vrrp/sync-group.ts';
import { diffConfig, type ConfigDiff } from './diff.ts';
import { HookQueue, type HookRunner } from './hooks.ts';
import { heldVips, RunningInstance } from './instance.ts';
import { PlanError, planInstance, socketKeyId, type InstancePlan } from './plan.ts';
import { serializeAddresses, serializeRoutes } from './serialize.ts';
import { SocketPool } from './socket-pool.ts';
import { Trackers } from './trackers.ts';
import { statusOf, type AgentStatus } from './status.ts';

/**
 * One VRRP transition, as the audit log and the control plane receive it. Besides what changed
 * and why, it carries what outage accounting needs even when no other director took over (a
 * restart, a reload that moved nothing): when the kernel confirmed the VIPs came or went, when
 * the takeover was announced, which run of the instance it was, and which VIPs it concerns.
 */
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
  /** This run of the instance (new at start and at a restart, kept by in-place changes). */
  incarnation: string;
  /** The VIPs (and excluded VIPs) this instance holds while master, "addr/len". */
  vips: string[];
  /**
   * When the kernel confirmed the VIPs were added (to MASTER) or removed (from MASTER); null when
   * the transition moved no VIP, or the kernel had not answered within REPORT_WAIT_MS.
   */
  vipsAt: string | null;
  /** When the first gratuitous ARP / unsolicited NA of a takeover went out (null otherwise). */
  announcedAt: string | null;
  /** The sync group the instance belongs to (its members take over together). */
  syncGroup?: string;
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
   * A transition written ahead, the moment it is decided (its VIPs just went to the kernel), and
   * completed with the kernel's confirmation moments by the function returned; without it (or
   * when it returns undefined) the transition goes to `onEvent` once complete. Managed mode
   * puts it in the outbox at once: an agent killed before the confirmation still has it.
   */
  onEventAhead?: (e: AgentEvent) => ((complete: AgentEvent) => void) | undefined;
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

/** A revision ready to commit: its diff, and a plan and an open socket per instance it runs anew or changes. */
export interface PreparedVrrp {
  config: ResolvedDirectorConfig;
  diff: ConfigDiff;
  runs: Map<string, { plan: InstancePlan; socket: VrrpSocket; primary: string }>;
}

/** How long a transition's report waits for the kernel to confirm its VIPs and announcements. */
export const REPORT_WAIT_MS = 1000;

const STATE_WORD: Record<VrrpStateName, string> = { master: 'MASTER', backup: 'BACKUP', fault: 'FAULT', stopped: 'STOP', initialize: 'INIT' };

/** No instances: what a first start diffs against. */
function nothingRunning(like: ResolvedDirectorConfig): ResolvedDirectorConfig {
  return { ...like, instances: {}, syncGroups: {}, vrrpScripts: {}, trackFiles: {}, trackProcesses: {} };
}

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

export class Agent {
  readonly instances = new Map<string, RunningInstance>();
  private config: ResolvedDirectorConfig | undefined;
  private readonly pool: SocketPool;
  private readonly notify: HookQueue;
  private readonly links = new Map<string, LinkState>();
  private readonly trackers: Trackers;
  private offLinks: (() => void) | undefined;
  private started = false;
  private stopping = false;
  /** Reports in transition order, each after its kernel work (bounded by REPORT_WAIT_MS). */
  private reports: Promise<void> = Promise.resolve();
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
    this.trackers = new Trackers(ports.hooks, ports.clock, () => this.retrack(), (m) => ports.log('warn', m));
  }

  /** Reads link state and follows its changes (before the first revision is prepared). */
  async init(): Promise<void> {
    if (this.offLinks) return;
    const listed = await this.ports.links.list();
    if (listed.ok) for (const l of listed.value) this.links.set(l.ifname, l);
    this.offLinks = this.ports.links.onChange((l) => this.linkChanged(l));
  }

  /** init, then prepare and commit `config`; throws (running nothing) when it cannot run. */
  async start(config: ResolvedDirectorConfig): Promise<ConfigDiff> {
    await this.init();
    return this.reload(config);
  }

  /** prepare + commit; throws with every problem (changing nothing) when the revision cannot run. */
  async reload(config: ResolvedDirectorConfig): Promise<ConfigDiff> {
    const p = await this.prepare(config);
    if (!p.ok) throw new Error(`${p.problems.join('; ')} (nothing was changed)`);
    await this.commit(p.value);
    return p.value.diff;
  }

  /**
   * Phase one of an apply: the diff, a plan and an open socket (with an address to send from)
   * for every instance that starts or changes. Nothing running is touched; on problems the
   * sockets opened for it are closed again.
   */
  async prepare(config: ResolvedDirectorConfig): Promise<{ ok: true; value: PreparedVrrp } | { ok: false; problems: string[] }> {
    const diff = diffConfig(this.config ?? nothingRunning(config), config);
    const problems: string[] = [];
    const runs: PreparedVrrp['runs'] = new Map();
    for (const c of diff.instances) {
      if (c.action === 'unchanged' || c.action === 'removed') continue;
      const name = c.name;
      let plan: InstancePlan;
      try {
        plan = planInstance(config.instances[name]!);
      } catch (e) {
        if (!(e instanceof PlanError)) throw e;
        problems.push(e.message);
        continue;
      }
      const sock = await this.pool.acquire(plan.socket);
      if (!sock.ok) {
        problems.push(`vrrp_instance ${name}: VRRP socket on ${plan.socket.ifname}: ${sock.message}`);
        continue;
      }
      const primary = sock.value.localAddress(plan.destinations[0]);
      if (!primary) {
        problems.push(`vrrp_instance ${name}: ${plan.socket.ifname} has no IPv${plan.socket.family} address to send adverts from`);
        continue;
      }
      runs.set(name, { plan, socket: sock.value, primary });
    }
    if (problems.length) {
      this.pool.releaseUnused();
      return { ok: false, problems };
    }
    return { ok: true, value: { config, diff, runs } };
  }

  /** Closes what a prepared revision opened, when it is not committed after all. */
  abandon(_p: PreparedVrrp): void {
    this.pool.releaseUnused();
  }

  /**
   * Phase two: applies a prepared revision, in this order: crash record widened to every VIP of
   * old and new; removed and restarted instances leave; trackers follow the new definitions;
   * changed instances change in place; new and restarted ones are created; priorities are
   * recomputed; new ones start; the crash record narrows to the new VIPs.
   */
  async commit(p: PreparedVrrp): Promise<void> {
    const { config, diff, runs } = p;
    this.ports.recordVips?.([...this.configuredVips(), ...[...runs.values()].flatMap((r) => r.plan.vips)]);
    // Sockets stay open through the commit: the prepared instances hold the same pooled ones.
    for (const c of diff.instances) if (c.action === 'removed' || c.action === 'restarted') await this.leave(c.name, 'reload', true);
    this.config = config;
    this.trackers.update(config);
    const work: Promise<void>[] = [];
    for (const c of diff.instances) {
      if (c.action !== 'changed') continue;
      const inst = this.instances.get(c.name)!;
      const run = runs.get(c.name)!;
      if (socketKeyId(run.plan.socket) !== socketKeyId(inst.plan.socket)) {
        this.pool.leave(inst.plan.socket, inst, true);
        this.pool.join(run.plan.socket, inst);
      }
      work.push(inst.reconfigure(run.plan, run.socket, run.primary));
    }
    const started: RunningInstance[] = [];
    for (const c of diff.instances) {
      if (c.action !== 'added' && c.action !== 'restarted') continue;
      const run = runs.get(c.name)!;
      const inst = new RunningInstance(run.plan, run.socket, run.primary, {
        addresses: this.addresses,
        announcer: this.ports.announcer,
        ...(this.routes ? { routes: this.routes } : {}),
        clock: this.ports.clock,
        commit: (i, r) => this.commitStep(i, r),
        onVipsChanged: () => this.ports.onHeldVips?.(heldVips(this.instances.values())),
        warn: (m) => this.ports.log('warn', m),
      });
      this.instances.set(c.name, inst);
      this.pool.join(run.plan.socket, inst);
      started.push(inst);
    }
    this.pool.releaseUnused();
    // Config order (status lists instances as the config does, restarted ones included).
    const ordered = Object.keys(config.instances).map((n) => [n, this.instances.get(n)!] as const).filter(([, i]) => i);
    this.instances.clear();
    for (const [n, i] of ordered) this.instances.set(n, i);
    for (const inst of started) {
      const r = config.instances[inst.name]!;
      if (!r.dontTrackPrimary && this.links.has(inst.plan.socket.ifname) && !this.linkUp(inst.plan.socket.ifname)) inst.dispatch({ type: 'interfaceDown' });
    }
    this.retrack();
    for (const inst of started) inst.dispatch({ type: 'startup' });
    if (!this.started) {
      this.started = true;
      this.trackers.start();
    }
    await Promise.all(work);
    this.ports.recordVips?.(this.configuredVips());
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const name of [...this.instances.keys()]) await this.leave(name, 'shutdown');
    this.trackers.stop();
    this.offLinks?.();
    this.pool.closeAll();
    await this.reports;
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
      const s = this.trackers.status('script', t.name);
      if (s) out.push({ name: s.name, up: s.up, weight: t.weight, reverse: t.reverse });
    }
    for (const t of inst.trackProcesses) {
      const s = this.trackers.status('process', t.name);
      if (s) out.push({ name: s.name, up: s.up, weight: t.weight, reverse: t.reverse });
    }
    for (const t of inst.trackFiles) {
      const s = this.trackers.status('file', t.name);
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

  private async leave(name: string, reason: 'shutdown' | 'reload', keepSocket = false): Promise<void> {
    const inst = this.instances.get(name);
    if (!inst) return;
    inst.dispatch(reason === 'reload' ? { type: 'shutdown', reason } : { type: 'shutdown' });
    inst.cancelTimer();
    await inst.settled();
    this.instances.delete(name);
    this.pool.leave(inst.plan.socket, inst, keepSocket);
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

  /** Resyncs the group members' fault flags (no trigger: nobody transitioned). */
  private follow(group: string[]): void {
    const members = group.map((n) => this.instances.get(n)).filter((m): m is RunningInstance => m !== undefined);
    for (const { name, event } of syncGroupFollow(members.map((m) => ({ name: m.name, state: m.state })))) this.instances.get(name)?.dispatch(event);
  }

  /**
   * Executes one step result of `inst`, with the steps of the sync-group members that follow
   * it, phase by phase across the batch (see the file comment).
   */
  private commitStep(inst: RunningInstance, r: StepResult): void {
    const batch = new Map<RunningInstance, StepResult>([[inst, r]]);
    const groupName = this.config?.instances[inst.name]?.syncGroup;
    const group = groupName ? this.config?.syncGroups[groupName] : undefined;
    if (group && !this.stopping) this.followInBatch(group.group, inst, batch);
    const vipsDone = new Map<RunningInstance, Promise<number | null> | undefined>();
    for (const [m, res] of batch) vipsDone.set(m, m.enter(res));
    for (const [m, res] of batch) m.sendAdverts(res.effects);
    const garps = [...batch].map(([m, res]) => ({ inst: m, count: RunningInstance.garpCount(res.effects) })).filter((g) => g.count > 0);
    const announced = garps.length ? RunningInstance.announceGroup(garps) : undefined;
    for (const [m, res] of batch) {
      for (const e of res.effects) {
        if (e.type === 'transition') this.report(m, e, vipsDone.get(m), garps.some((g) => g.inst === m) ? announced : undefined);
      }
    }
    if (groupName && group && [...batch.values()].some((res) => res.effects.some((e) => e.type === 'transition'))) this.notifyGroup(groupName, group);
    for (const m of batch.keys()) m.rearm();
  }

  /** Adds to `batch` the steps of the members that follow the transitions in it (sync-group.ts). */
  private followInBatch(group: string[], first: RunningInstance, batch: Map<RunningInstance, StepResult>): void {
    const members = group.map((n) => this.instances.get(n)).filter((m): m is RunningInstance => m !== undefined);
    const pending: MemberTransition[] = [];
    const transitions = (name: string, effects: readonly Effect[]) => {
      for (const e of effects) if (e.type === 'transition') pending.push({ name, from: e.from, to: e.to });
    };
    transitions(first.name, batch.get(first)!.effects);
    const now = this.ports.clock.now();
    const merge = (m: RunningInstance, event: VrrpEvent) => {
      const cur = batch.get(m);
      const res = step(cur?.state ?? m.state, event, now);
      batch.set(m, cur ? { state: res.state, effects: [...cur.effects, ...res.effects] } : res);
      return res;
    };
    const current = () => members.map((m) => ({ name: m.name, state: batch.get(m)?.state ?? m.state }));
    for (const { name, event } of syncGroupLowerPrioFollow(current(), first.name, batch.get(first)!.effects)) {
      const m = this.instances.get(name);
      if (m) merge(m, event);
    }
    // Each round's transitions are 'sync_group' ones, which make no further events: a few rounds at most.
    for (let guard = 0; pending.length > 0 && guard < 32; guard++) {
      const trigger = pending.shift()!;
      for (const { name, event } of syncGroupFollow(current(), trigger)) {
        const m = this.instances.get(name);
        if (!m) continue;
        transitions(name, merge(m, event).effects);
      }
    }
  }

  /** Bounded wait: the kernel's answer, or null after REPORT_WAIT_MS. */
  private within(p: Promise<number | null> | undefined): Promise<number | null> {
    if (!p) return Promise.resolve(null);
    return new Promise((resolve) => {
      const t = this.ports.clock.setTimeout(() => resolve(null), REPORT_WAIT_MS);
      p.then((v) => {
        t.cancel();
        resolve(v);
      }, () => {
        t.cancel();
        resolve(null);
      });
    });
  }

  /** Queues one transition's report: event, log line, notify hooks, FIFO line. */
  private report(inst: RunningInstance, e: Extract<Effect, { type: 'transition' }>, vips: Promise<number | null> | undefined, announced: Promise<number | null> | undefined): void {
    const r = this.config?.instances[inst.name];
    const at = Date.now() - (this.ports.clock.now() - e.at);
    const base = {
      kind: 'vrrp.transition' as const, instance: inst.name, from: e.from, to: e.to, reason: e.reason, priority: e.priority, at: iso(at)!,
      lastAdvertAt: iso(inst.lastAdvertAt), masterAddress: inst.state.masterAddress ?? null,
      incarnation: inst.incarnation, vips: inst.plan.vips.map((v) => `${v.address}/${v.prefixLength}`),
      ...(r?.syncGroup ? { syncGroup: r.syncGroup } : {}),
    };
    const hooks = r?.notify;
    const user = hooks?.user ?? this.config?.global.scriptUser;
    const waited = Promise.all([this.within(vips), this.within(announced)]);
    // On record now, in this turn (before anything could see the VIPs and kill this process),
    // completed below with the kernel's moments.
    const ahead = this.ports.onEventAhead?.({ ...base, vipsAt: null, announcedAt: null });
    let completed = false;
    const complete = (final: AgentEvent) => {
      if (completed) return;
      completed = true;
      if (ahead) ahead(final);
      else this.ports.onEvent?.(final);
    };
    this.reports = this.reports.then(() => waited).then(([vipsAt, announcedAt]) => {
      complete({ ...base, vipsAt: iso(vipsAt), announcedAt: iso(announcedAt) });
      const word = STATE_WORD[e.to];
      this.ports.log('info', `${inst.name}: ${STATE_WORD[e.from]} -> ${word} (${e.reason})`, { instance: inst.name, from: e.from, to: e.to, reason: e.reason, priority: e.priority });
      const specific = e.to === 'master' ? hooks?.master : e.to === 'backup' ? hooks?.backup : e.to === 'fault' ? hooks?.fault : e.to === 'stopped' ? hooks?.stop : undefined;
      if (specific) this.notify.push(specific, [], user);
      if (hooks?.any) this.notify.push(hooks.any, ['INSTANCE', inst.name, word, String(e.priority)], user);
      this.ports.fifo?.(`INSTANCE "${inst.name}" ${word} ${e.priority}`);
    }).catch((err: unknown) => {
      // A held transition must not hold the outbox behind it: it goes as it was written (once:
      // a failure after it was completed, in a hook or the log, completes nothing again).
      if (ahead) complete({ ...base, vipsAt: null, announcedAt: null });
      this.ports.log('error', `reporting a transition of ${inst.name} failed: ${(err as Error).message}`);
    });
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
    // In the report queue: after the members' own reports, in keepalived's order.
    this.reports = this.reports.then(() => {
      this.ports.log('info', `sync group ${name}: ${word}`, { syncGroup: name, state: next });
      if (specific) this.notify.push(specific, [], user);
      if (hooks?.any) this.notify.push(hooks.any, ['GROUP', name, word, '0'], user);
      this.ports.fifo?.(`GROUP "${name}" ${word} 0`);
    });
  }
}
