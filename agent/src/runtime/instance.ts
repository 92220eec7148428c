/**
 * One running VRRP instance: holds its pure state, feeds it events with the clock's `now`,
 * keeps exactly one timer armed for the earliest deadline, and turns effects into socket sends,
 * address changes and announcements. Nothing here blocks: kernel calls are queued in order on
 * a per-instance promise chain so "add VIPs, then GARP" and "remove VIPs" never interleave,
 * while adverts go out synchronously from the timer callback.
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

const isMulticast = (a: string) => (a.includes(':') ? /^ff/i.test(a) : Number(a.split('.')[0]) >= 224 && Number(a.split('.')[0]) <= 239);

export class RunningInstance {
  state: InstanceState;
  /** VIPs this instance has configured in the kernel (and not removed since). */
  vipsHeld = false;
  private timer: TimerHandle | undefined;
  private kernel: Promise<void> = Promise.resolve();

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
  dispatch(event: VrrpEvent): void {
    const r = step(this.state, event, this.ports.clock.now());
    this.apply(r.state, r.effects);
  }

  /** A packet from the socket pool whose VRID is ours. */
  receive(pkt: VrrpPacket): void {
    const unicast = !isMulticast(pkt.dst);
    const r = receiveAdvert(pkt.payload, { ttl: pkt.ttl, srcAddress: pkt.src, dstAddress: pkt.dst, unicast }, { ...this.plan.receive, priority: this.state.priority });
    if (!r.ok) this.dispatch({ type: 'advertRejected', reason: r.reason });
    else this.dispatch({ type: 'advertReceived', advert: { priority: r.advert.priority, advertIntervalMs: r.advert.advertIntervalMs }, srcAddress: pkt.src });
  }

  /** Resolves when every queued kernel operation (VIP add/remove, GARP) has finished. */
  settled(): Promise<void> {
    return this.kernel;
  }

  cancelTimer(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  private apply(next: InstanceState, effects: Effect[]): void {
    this.state = next;
    for (const e of effects) {
      this.execute(e);
      this.ports.onEffect(this, e);
    }
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
      this.apply(r.state, r.effects);
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

  private sendAdvert(priority: number): void {
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
    for (const dst of p.destinations) {
      const src = this.socket.localAddress(dst);
      if (!src) {
        this.ports.warn(`${p.name}: no source address on ${this.socket.ifname} for ${dst}; advert not sent`);
        continue;
      }
      const r = this.socket.send(encodeAdvert(advert, { srcAddress: src, dstAddress: dst }), dst);
      if (!r.ok) this.ports.warn(`${p.name}: advert to ${dst}: ${r.message}`);
    }
  }

  private queue(op: () => Promise<void>): void {
    this.kernel = this.kernel.then(op, op);
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
