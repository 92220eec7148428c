/**
 * One running VRRP instance: holds its pure state, feeds it events with the clock's `now`,
 * keeps exactly one timer armed for the earliest deadline, and turns effects into socket sends,
 * address changes and announcements. Nothing here blocks: kernel calls are queued in order on
 * a per-instance promise chain so "add VIPs, then GARP" and "remove VIPs" never interleave,
 * while adverts go out synchronously.
 *
 * A master's periodic adverts are handed to the socket's pacer (a native thread sending at
 * exact instants, see vigil_net.c) when the socket has one: the state machine still decides
 * everything, but a garbage collection on this thread can no longer delay an advert. The pacer
 * job mirrors the machine's schedule (advertTimerAt, advertIntervalMs); when the timer fires and
 * the job already holds the same bytes, the advert is the pacer's to send. Any other advert
 * (takeover, priority 0, reply to a lower priority) is sent here, at once, and the job is
 * re-armed on the machine's schedule afterwards.
 */
import type { AddressManager, Announcer, AddressSpec, Clock, RouteManager, TimerHandle, VrrpSocket } from '../os/ports.ts';
import { fireDueTimers, step } from '../vrrp/fsm.ts';
import { encodeAdvert, passAuthData, type Advert } from '../vrrp/packet.ts';
import { createInstance, nextDeadline, type Effect, type InstanceState, type VrrpEvent } from '../vrrp/state.ts';
import { receiveAdvert } from '../vrrp/validate.ts';
import type { VrrpPacket } from '../os/ports.ts';
import type { InstancePlan } from './plan.ts';

export interface InstancePorts {
  addresses: AddressManager;
  announcer: Announcer;
  routes?: RouteManager;
  clock: Clock;
  /** Called for every effect after the runner executed it (transitions drive hooks and events). */
  onEffect: (inst: RunningInstance, effect: Effect) => void;
  /** The VIPs currently configured by this instance changed (crash-cleanup bookkeeping). */
  onVipsChanged: () => void;
  warn: (message: string) => void;
}

export class RunningInstance {
  state: InstanceState;
  /** VIPs this instance has configured in the kernel (and not removed since). */
  vipsHeld = false;
  /** Wall time (epoch ms) of the last valid advert from another router: a failover's gap starts there. */
  lastAdvertAt: number | null = null;
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
    readonly plan: InstancePlan,
    readonly socket: VrrpSocket,
    primaryAddress: string,
    private readonly ports: InstancePorts,
  ) {
    this.state = createInstance({ ...plan.fsm, primaryAddress });
  }

  get name(): string {
    return this.plan.name;
  }

  /** Feeds one event and executes the effects. */
  dispatch(event: VrrpEvent, at?: number): void {
    const r = step(this.state, event, at ?? this.ports.clock.now());
    this.apply(r.state, r.effects);
  }

  /**
   * A packet from the socket pool whose VRID is ours, whatever its destination: the instance's
   * configuration (group or unicast peers), never the packet, decides which rules apply.
   */
  receive(pkt: VrrpPacket): void {
    const s = this.state;
    const r = receiveAdvert(pkt.payload, { ttl: pkt.ttl, srcAddress: pkt.src, dstAddress: pkt.dst }, {
      ...this.plan.receive,
      priority: s.priority,
      masterAddress: s.state === 'backup' ? s.masterAddress : null,
      ...(this.plan.receive.unicastPeers ? { unicastAddress: this.plan.socket.sourceAddress ?? s.config.primaryAddress } : {}),
    });
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

  private apply(next: InstanceState, effects: Effect[]): void {
    this.state = next;
    // VIP changes first: a takeover is over when the VIP answers, so its netlink request goes
    // out before the advert, the logs and the hooks (each a fraction of a millisecond).
    for (const e of effects) if (e.type === 'addVips' || e.type === 'removeVips') this.execute(e);
    for (const e of effects) {
      if (e.type !== 'addVips' && e.type !== 'removeVips') this.execute(e);
      this.ports.onEffect(this, e);
    }
    this.syncPacer();
    this.arm();
  }

  private arm(): void {
    this.timer?.cancel();
    this.timer = undefined;
    const at = nextDeadline(this.state);
    if (at === null) return;
    const delay = Math.max(0, at - this.ports.clock.now());
    this.timer = this.ports.clock.setTimeout(() => {
      this.timer = undefined;
      const r = fireDueTimers(this.state, this.ports.clock.now());
      this.firing = true;
      try {
        this.apply(r.state, r.effects);
      } finally {
        this.firing = false;
      }
    }, delay);
  }

  private execute(e: Effect): void {
    switch (e.type) {
      case 'sendAdvert': this.sendAdvert(e.priority); break;
      case 'addVips': this.queue(() => this.addVips()); break;
      case 'removeVips': this.queue(() => this.removeVips()); break;
      case 'sendGarp': this.queue(() => this.announce(e.count)); break;
      case 'transition': break;
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

  /** Runs kernel operations one after another; an idle queue starts the next one synchronously. */
  private queue(op: () => Promise<void>): void {
    const run = () => op().finally(() => void this.kernelOps--);
    this.kernelOps++;
    this.kernel = this.kernelOps === 1 ? run() : this.kernel.then(run, run);
  }

  private async addVips(): Promise<void> {
    this.vipsHeld = true;
    this.ports.onVipsChanged();
    for (const v of this.plan.vips) {
      const r = await this.ports.addresses.add(v);
      if (!r.ok) this.ports.warn(`${this.name}: add ${v.address}/${v.prefixLength} on ${v.ifname}: ${r.message}`);
    }
    // Routes after the addresses: a route with `src VIP` needs the VIP configured.
    for (const route of this.plan.routes) {
      const r = await this.ports.routes?.add(route);
      if (r && !r.ok) this.ports.warn(`${this.name}: virtual route ${route.to}: ${r.message}`);
    }
  }

  private async removeVips(): Promise<void> {
    for (const route of this.plan.routes) {
      const r = await this.ports.routes?.remove(route);
      if (r && !r.ok) this.ports.warn(`${this.name}: remove virtual route ${route.to}: ${r.message}`);
    }
    for (const v of this.plan.vips) {
      const r = await this.ports.addresses.remove(v);
      if (!r.ok) this.ports.warn(`${this.name}: remove ${v.address}/${v.prefixLength} on ${v.ifname}: ${r.message}`);
    }
    this.vipsHeld = false;
    this.ports.onVipsChanged();
  }

  /** Gratuitous ARP (IPv4) / unsolicited NA (IPv6) for every VIP, `count` times. */
  private async announce(count: number): Promise<void> {
    if (this.state.state !== 'master') return;
    for (let i = 0; i < count; i++) {
      for (const v of this.plan.vips) {
        const r = v.address.includes(':') ? await this.ports.announcer.unsolicitedNa(v.ifname, v.address) : await this.ports.announcer.garp(v.ifname, v.address);
        if (!r.ok) this.ports.warn(`${this.name}: announce ${v.address} on ${v.ifname}: ${r.message}`);
      }
    }
  }
}

/** The VIPs a set of instances currently holds, for the state dir's crash-cleanup record. */
export function heldVips(instances: Iterable<RunningInstance>): AddressSpec[] {
  const out: AddressSpec[] = [];
  for (const i of instances) if (i.vipsHeld) out.push(...i.plan.vips);
  return out;
}
