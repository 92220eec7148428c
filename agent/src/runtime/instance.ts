/**
 * One running VRRP instance: holds its pure state, feeds it events with the clock's `now`,
 * keeps exactly one timer armed for the earliest deadline, and turns effects into socket sends,
 * address changes and announcements. Nothing here blocks: kernel calls are queued in order on
 * a per-instance promise chain so "add VIPs, then GARP" and "remove VIPs" never interleave,
 * while adverts go out synchronously.
 *
 * Every step result goes to the agent (`ports.commit`), which executes it in phases, for this
 * instance alone or together with its sync group (agent.ts): `enter` (state, then the VIP
 * request first: a takeover is over when the VIP answers), `sendAdverts`, announcements once
 * every member's VIPs are in (`announce`), the transition reports, and `rearm`.
 *
 * A master's periodic adverts are handed to the socket's pacer (a native thread sending at
 * exact instants, see vigil_net.c) when the socket has one: the state machine still decides
 * everything, but a garbage collection on this thread can no longer delay an advert. The pacer
 * job mirrors the machine's schedule (advertTimerAt, advertIntervalMs); when the timer fires and
 * the job already holds the same bytes, the advert is the pacer's to send. Any other advert
 * (takeover, priority 0, reply to a lower priority) is sent here, at once, and the job is
 * re-armed on the machine's schedule afterwards.
 *
 * A reload changes a running instance in place (`reconfigure`): new plan, maybe a new socket,
 * and, while it holds its VIPs, only the difference in VIPs and routes goes to the kernel.
 */
import type { AddressManager, Announcer, AddressSpec, Clock, RouteManager, RouteSpec, TimerHandle, VrrpSocket } from '../os/ports.ts';
import { fireDueTimers, step } from '../vrrp/fsm.ts';
import { encodeAdvert, passAuthData, type Advert } from '../vrrp/packet.ts';
import { reconfigure } from '../vrrp/reconfigure.ts';
import { createInstance, nextDeadline, type Effect, type InstanceState, type StepResult, type VrrpEvent } from '../vrrp/state.ts';
import { receiveAdvert } from '../vrrp/validate.ts';
import type { VrrpPacket } from '../os/ports.ts';
import type { InstancePlan } from './plan.ts';

export interface InstancePorts {
  addresses: AddressManager;
  announcer: Announcer;
  routes?: RouteManager;
  clock: Clock;
  /** Executes a step's result (the agent batches sync-group members: see Agent.commit). */
  commit: (inst: RunningInstance, r: StepResult) => void;
  /** The VIPs currently configured by this instance changed (crash-cleanup bookkeeping). */
  onVipsChanged: () => void;
  warn: (message: string) => void;
}

const vipKey = (v: AddressSpec) => `${v.ifname}|${v.address}/${v.prefixLength}`;
const routeKey = (r: RouteSpec) => JSON.stringify(r);

let incarnations = 0;
const bootId = Date.now().toString(36);

/** A timer this late was held up (a stopped process, a blocked loop): read the sockets before acting on it. */
const LATE_TIMER_MS = 20;

export class RunningInstance {
  state: InstanceState;
  /** VIPs this instance has configured in the kernel (and not removed since). */
  vipsHeld = false;
  /** Wall time (epoch ms) of the last valid advert from another router: a failover's gap starts there. */
  lastAdvertAt: number | null = null;
  /** This run of the instance: new when it starts (or restarts), kept across in-place changes. */
  readonly incarnation = `${bootId}-${++incarnations}`;
  /**
   * Adverts carrying this address list are accepted too, until the master is heard with the
   * current one: after a reload that changed the VIPs, a peer not reloaded yet (or reloaded a
   * moment later) still advertises the old list, and dropping its adverts would make this
   * backup take over while the master is alive. keepalived drops them (a reload there is
   * expected on every director within Master_Down_Interval); Vigil keeps the master.
   */
  private previousAdvertAddresses: readonly string[] | null = null;
  private timer: TimerHandle | undefined;
  private kernel: Promise<void> = Promise.resolve();
  /** Kernel operations queued or running: 0 means the next one may start right away. */
  private kernelOps = 0;
  /** True while effects of an expired timer run (so a periodic advert may be the pacer's). */
  private firing = false;
  /** Pacer jobs by destination: what they send and on which schedule. */
  private readonly paced = new Map<string, { bytes: Uint8Array; firstAt: number; periodMs: number }>();
  /** Last encoded advert per destination: adverts rarely change, so encode once per change. */
  private readonly encoded = new Map<string, { priority: number; src: string; bytes: Uint8Array }>();

  constructor(
    public plan: InstancePlan,
    public socket: VrrpSocket,
    primaryAddress: string,
    private readonly ports: InstancePorts,
  ) {
    this.state = createInstance({ ...plan.fsm, primaryAddress });
  }

  get name(): string {
    return this.plan.name;
  }

  /** Feeds one event; the agent executes the result. */
  dispatch(event: VrrpEvent, at?: number): void {
    this.ports.commit(this, step(this.state, event, at ?? this.ports.clock.now()));
  }

  /**
   * A packet from the socket pool whose VRID is ours, whatever its destination: the instance's
   * configuration (group or unicast peers), never the packet, decides which rules apply.
   */
  receive(pkt: VrrpPacket): void {
    const s = this.state;
    const rx = { ttl: pkt.ttl, srcAddress: pkt.src, dstAddress: pkt.dst };
    const cfg = {
      ...this.plan.receive,
      priority: s.priority,
      masterAddress: s.state === 'backup' ? s.masterAddress : null,
      ...(this.plan.receive.unicastPeers ? { unicastAddress: this.plan.socket.sourceAddress ?? s.config.primaryAddress } : {}),
    };
    let r = receiveAdvert(pkt.payload, rx, cfg);
    // After a reload that changed the VIPs, a peer not reloaded yet still advertises the old list
    // (see previousAdvertAddresses); every other check still applies to it.
    if (!r.ok && (r.reason === 'addr_count' || r.reason === 'addr_list') && this.previousAdvertAddresses) {
      const old = receiveAdvert(pkt.payload, rx, { ...cfg, virtualAddresses: this.previousAdvertAddresses });
      if (old.ok) r = old;
    } else if (r.ok) this.previousAdvertAddresses = null; // the peer advertises the current list
    if (!r.ok) this.dispatch({ type: 'advertRejected', reason: r.reason });
    else {
      // RFC 5798 §6.4.2: the Master_Down_Timer restarts when the advert is received; the
      // kernel's receive time, when the socket reports it, keeps our scheduling delay out of it.
      const now = this.ports.clock.now();
      const at = pkt.receivedAt !== undefined && pkt.receivedAt <= now && now - pkt.receivedAt < this.state.config.advertIntervalMs ? pkt.receivedAt : now;
      this.lastAdvertAt = Date.now() - (now - at);
      this.dispatch({ type: 'advertReceived', advert: { priority: r.advert.priority, advertIntervalMs: r.advert.advertIntervalMs }, srcAddress: pkt.src }, at);
    }
  }

  /** Resolves when every queued kernel operation (VIP add/remove, GARP) has finished. */
  settled(): Promise<void> {
    return this.kernel;
  }

  /** Stops the timer and any pacer job (the instance is leaving or being replaced). */
  cancelTimer(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.stopPacing();
  }

  // --- The phases of executing a step result (driven by Agent.commit) ---

  /**
   * Phase 1: the new state, and its VIP changes queued (the first one starts synchronously).
   * Returns when the kernel confirmed them (wall ms), or undefined when the step moved no VIP.
   */
  enter(r: StepResult): Promise<number | null> | undefined {
    this.state = r.state;
    let done: Promise<number | null> | undefined;
    for (const e of r.effects) {
      if (e.type === 'addVips') done = this.queue(() => this.addVips(this.plan));
      else if (e.type === 'removeVips') done = this.queue(() => this.removeVips(this.plan));
    }
    return done;
  }

  /** Phase 2: adverts, synchronously. */
  sendAdverts(effects: readonly Effect[]): void {
    for (const e of effects) if (e.type === 'sendAdvert') this.sendAdvert(e.priority);
  }

  /** GARP/NA bursts in `effects` (phase 3 sends them through {@link announceGroup}). */
  static garpCount(effects: readonly Effect[]): number {
    let n = 0;
    for (const e of effects) if (e.type === 'sendGarp') n += e.count;
    return n;
  }

  /** Phase 5: the pacer follows the machine, and one timer for the next deadline. */
  rearm(): void {
    this.syncPacer();
    this.arm();
  }

  /** Appends a promise to this instance's kernel chain (a group's announcements). */
  track(p: Promise<unknown>): void {
    this.kernelOps++;
    const done = () => void this.kernelOps--;
    this.kernel = this.kernel.then(() => p).then(done, done);
  }

  /**
   * A reload changed this instance in place: new plan (VIPs, routes, auth, peers, timers,
   * priority...), maybe a new socket (transport changed). State, timers and the known master
   * are kept; while master, only the added and removed VIPs and routes touch the kernel, and
   * the added VIPs are announced. Returns when the kernel work is done.
   */
  reconfigure(plan: InstancePlan, socket: VrrpSocket, primaryAddress: string): Promise<void> {
    const old = this.plan;
    if (socket !== this.socket) {
      this.stopPacing();
      this.socket = socket;
    }
    const sameAdvertised = old.advertAddresses.length === plan.advertAddresses.length && old.advertAddresses.every((a, i) => a === plan.advertAddresses[i]);
    if (!sameAdvertised) this.previousAdvertAddresses = old.advertAddresses;
    this.plan = plan;
    this.encoded.clear();
    const r = reconfigure(this.state, { ...plan.fsm, primaryAddress }, this.ports.clock.now());
    this.state = r.state;
    const before = new Set(old.vips.map(vipKey));
    const after = new Set(plan.vips.map(vipKey));
    const routesBefore = new Set(old.routes.map(routeKey));
    const routesAfter = new Set(plan.routes.map(routeKey));
    const gone = old.vips.filter((v) => !after.has(vipKey(v)));
    const added = plan.vips.filter((v) => !before.has(vipKey(v)));
    const goneRoutes = old.routes.filter((x) => !routesAfter.has(routeKey(x)));
    const addedRoutes = plan.routes.filter((x) => !routesBefore.has(routeKey(x)));
    let work: Promise<unknown> = Promise.resolve();
    if (this.vipsHeld || this.state.state === 'master') {
      if (gone.length || added.length || goneRoutes.length || addedRoutes.length) {
        work = this.queue(async () => {
          // Routes first out and last in, as for a whole set (a route may use a VIP as src).
          for (const route of goneRoutes) await this.removeRoute(route);
          for (const v of gone) await this.removeVip(v);
          // Added VIPs only while still master when this runs (a takeover may be undone meanwhile).
          if (this.state.state !== 'master') return;
          for (const v of added) await this.addVip(v);
          for (const route of addedRoutes) await this.addRoute(route);
          this.ports.onVipsChanged();
          await this.sendBursts([{ inst: this, vips: added }], this.plan.fsm.garp.masterRepeat);
        });
      }
    }
    this.rearm();
    return work.then(() => undefined);
  }

  /**
   * Phase 3 for a batch: gratuitous ARPs / unsolicited NAs for every member's VIPs, once all of
   * their VIP requests are done, interleaved burst by burst so the whole group is announced in
   * one go (a sync group's service answers only when every member's VIP does). Resolves with
   * the wall time of the first announcement sent (null when none went out).
   */
  static announceGroup(members: ReadonlyArray<{ inst: RunningInstance; count: number }>): Promise<number | null> {
    const barrier = Promise.all(members.map((m) => m.inst.settled()));
    const count = Math.max(...members.map((m) => m.count));
    const p = barrier.then(() => RunningInstance.sendBurstsOf(members.map((m) => ({ inst: m.inst, vips: m.inst.plan.vips, count: m.count })), count));
    for (const m of members) m.inst.track(p);
    return p;
  }

  private sendBursts(targets: Array<{ inst: RunningInstance; vips: readonly AddressSpec[] }>, count: number): Promise<number | null> {
    return RunningInstance.sendBurstsOf(targets.map((t) => ({ ...t, count })), count);
  }

  private static async sendBurstsOf(targets: Array<{ inst: RunningInstance; vips: readonly AddressSpec[]; count: number }>, rounds: number): Promise<number | null> {
    let first: number | null = null;
    for (let i = 0; i < rounds; i++) {
      // Only a master announces (a takeover undone before its announcements stays silent).
      const items = targets.filter((t) => i < t.count && t.inst.state.state === 'master').flatMap((t) => t.vips.map((v) => ({ t, v })));
      if (items.length === 0) continue;
      const a = items[0]!.t.inst.ports.announcer;
      // The whole round in one call where the announcer can (no event-loop turn in between).
      const results = a.burst
        ? a.burst(items.map(({ v }) => ({ ifname: v.ifname, ip: v.address })))
        : await Promise.all(items.map(({ v }) => (v.address.includes(':') ? a.unsolicitedNa(v.ifname, v.address) : a.garp(v.ifname, v.address))));
      results.forEach((r, k) => {
        const { t, v } = items[k]!;
        if (!r.ok) t.inst.ports.warn(`${t.inst.name}: announce ${v.address} on ${v.ifname}: ${r.message}`);
        else first ??= Date.now();
      });
    }
    return first;
  }

  private arm(): void {
    this.timer?.cancel();
    this.timer = undefined;
    const at = nextDeadline(this.state);
    if (at === null) return;
    const delay = Math.max(0, at - this.ports.clock.now());
    this.timer = this.ports.clock.setTimeout(() => {
      this.timer = undefined;
      // A timer that fires late (the process was stopped, or its event loop blocked) may be due
      // only because adverts waiting in the socket have not been read yet: a resumed backup
      // would declare a live master down and take its VIPs. Let one I/O turn run first (a 0 ms
      // timer fires after the event loop's poll phase, where the socket is read); an advert
      // read then restarts the Master_Down_Timer (RFC 5798 §6.4.2) and re-arms this timer.
      if (this.ports.clock.now() - at > LATE_TIMER_MS) {
        this.timer = this.ports.clock.setTimeout(() => {
          this.timer = undefined;
          this.fire();
        }, 0);
        return;
      }
      this.fire();
    }, delay);
  }

  private fire(): void {
    const r = fireDueTimers(this.state, this.ports.clock.now());
    this.firing = true;
    try {
      this.ports.commit(this, r);
    } finally {
      this.firing = false;
    }
  }

  /** The advert to `dst` at `priority`, encoded (cached while nothing in it changes). */
  private advertBytes(priority: number, dst: string): Uint8Array | undefined {
    const src = this.socket.localAddress(dst);
    if (!src) return undefined;
    const hit = this.encoded.get(dst);
    if (hit && hit.priority === priority && hit.src === src) return hit.bytes;
    const p = this.plan;
    const advert: Advert = {
      version: p.fsm.version,
      family: p.fsm.family,
      vrid: p.fsm.vrid,
      priority,
      advertIntervalMs: p.fsm.advertIntervalMs,
      addresses: p.advertAddresses,
      authType: p.fsm.version === 2 ? p.authType : 'none',
      authData: p.fsm.version === 2 && p.authType === 'pass' ? passAuthData(p.authPass ?? '') : new Uint8Array(0),
    };
    const bytes = encodeAdvert(advert, { srcAddress: src, dstAddress: dst, v3ChecksumAsV2: p.v3ChecksumAsV2 });
    this.encoded.set(dst, { priority, src, bytes });
    return bytes;
  }

  private sendAdvert(priority: number): void {
    const p = this.plan;
    for (const dst of p.destinations) {
      const bytes = this.advertBytes(priority, dst);
      if (!bytes) {
        this.ports.warn(`${p.name}: no source address on ${this.socket.ifname} for ${dst}; advert not sent`);
        continue;
      }
      const job = this.paced.get(dst);
      // The periodic advert of an unchanged master: the pacer sent it at the exact instant.
      if (this.firing && job && job.bytes === bytes) continue;
      if (job) this.unpace(dst);
      const r = this.socket.send(bytes, dst, p.sendTtl !== undefined ? { ttl: p.sendTtl } : undefined);
      if (!r.ok) this.ports.warn(`${p.name}: advert to ${dst}: ${r.message}`);
    }
  }

  /** Makes the pacer jobs match the machine: one per destination while master, none otherwise. */
  private syncPacer(): void {
    if (!this.socket.pace) return;
    const s = this.state;
    if (s.state !== 'master' || s.advertTimerAt === null) {
      this.stopPacing();
      return;
    }
    // A destination dropped by a reload (unicast peer removed) stops being paced.
    for (const dst of [...this.paced.keys()]) if (!this.plan.destinations.includes(dst)) this.unpace(dst);
    const periodMs = s.config.advertIntervalMs;
    for (const dst of this.plan.destinations) {
      const bytes = this.advertBytes(s.priority, dst);
      const job = this.paced.get(dst);
      if (!bytes) {
        if (job) this.unpace(dst);
        continue;
      }
      // Same bytes, same period, and the machine's next deadline is one of the job's instants.
      const phase = job ? Math.abs(((s.advertTimerAt - job.firstAt) % periodMs + periodMs) % periodMs) : 0;
      if (job && job.bytes === bytes && job.periodMs === periodMs && Math.min(phase, periodMs - phase) < 0.5) continue;
      const r = this.socket.pace(this.paceKey(dst), bytes, dst, s.advertTimerAt, periodMs, this.plan.sendTtl !== undefined ? { ttl: this.plan.sendTtl } : undefined);
      if (r.ok) this.paced.set(dst, { bytes, firstAt: s.advertTimerAt, periodMs });
      else {
        // No pacer for this one: the timer path sends it (firing && !job falls through to send).
        this.paced.delete(dst);
        this.ports.warn(`${this.plan.name}: advert pacer for ${dst}: ${r.message}`);
      }
    }
  }

  private paceKey(dst: string): string {
    return `${this.plan.name}|${dst}`;
  }

  private unpace(dst: string): void {
    this.socket.unpace?.(this.paceKey(dst));
    this.paced.delete(dst);
  }

  private stopPacing(): void {
    for (const dst of [...this.paced.keys()]) this.unpace(dst);
  }

  /**
   * Runs kernel operations one after another; an idle queue starts the next one synchronously.
   * Resolves with the wall time the operation finished.
   */
  private queue(op: () => Promise<void>): Promise<number | null> {
    const run = () => op().then(() => Date.now(), (err: unknown) => {
      this.ports.warn(`${this.name}: ${(err as Error).message}`);
      return null;
    }).finally(() => void this.kernelOps--);
    this.kernelOps++;
    const p = this.kernelOps === 1 ? run() : this.kernel.then(run, run);
    this.kernel = p.then(() => undefined);
    return p;
  }

  /** Every VIP of `plan` (the plan of the step that asked: a later reload queues its own delta). */
  private async addVips(plan: InstancePlan): Promise<void> {
    this.vipsHeld = true;
    this.ports.onVipsChanged();
    for (const v of plan.vips) await this.addVip(v);
    // Routes after the addresses: a route with `src VIP` needs the VIP configured.
    for (const route of plan.routes) await this.addRoute(route);
  }

  private async removeVips(plan: InstancePlan): Promise<void> {
    for (const route of plan.routes) await this.removeRoute(route);
    for (const v of plan.vips) await this.removeVip(v);
    this.vipsHeld = false;
    this.ports.onVipsChanged();
  }

  private async addVip(v: AddressSpec): Promise<void> {
    const r = await this.ports.addresses.add(v);
    if (!r.ok) this.ports.warn(`${this.name}: add ${v.address}/${v.prefixLength} on ${v.ifname}: ${r.message}`);
  }

  private async removeVip(v: AddressSpec): Promise<void> {
    const r = await this.ports.addresses.remove(v);
    if (!r.ok) this.ports.warn(`${this.name}: remove ${v.address}/${v.prefixLength} on ${v.ifname}: ${r.message}`);
  }

  private async addRoute(route: RouteSpec): Promise<void> {
    const r = await this.ports.routes?.add(route);
    if (r && !r.ok) this.ports.warn(`${this.name}: virtual route ${route.to}: ${r.message}`);
  }

  private async removeRoute(route: RouteSpec): Promise<void> {
    const r = await this.ports.routes?.remove(route);
    if (r && !r.ok) this.ports.warn(`${this.name}: remove virtual route ${route.to}: ${r.message}`);
  }
}

/** The VIPs a set of instances currently holds, for the state dir's crash-cleanup record. */
export function heldVips(instances: Iterable<RunningInstance>): AddressSpec[] {
  const out: AddressSpec[] = [];
  for (const i of instances) if (i.vipsHeld) out.push(...i.plan.vips);
  return out;
}
