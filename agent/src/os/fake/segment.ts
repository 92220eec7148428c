/**
 * An in-memory L2 segment with fake hosts: what the runtime's unit tests use to make two or more
 * agents elect without root. Each {@link FakeHost} exposes every OS port (VRRP sockets,
 * announcer, addresses, links) with the same contract as the Linux implementations
 * (test/contract/*.case.ts runs against both).
 *
 * Delivery is asynchronous (a microtask queue), like a real network: `await segment.flush()`
 * delivers everything sent so far, including packets sent by receivers in response.
 */
import type { Clock } from '../ports.ts';
import type { InterfaceAddress, VrrpPacket } from '../ports.ts';
import { FakeAddressManager } from './address-manager.ts';
import { FakeAnnouncer } from './announcer.ts';
import { FakeLinkMonitor } from './link-monitor.ts';
import { FakeVrrpSocketFactory, type FakeVrrpSocket } from './vrrp-socket.ts';

export interface FakeInterface {
  host: FakeHost;
  ifname: string;
  ifindex: number;
  mac: string;
  up: boolean;
  running: boolean;
  segment?: FakeSegment;
  addresses: InterfaceAddress[];
}

/** A GARP or unsolicited NA seen on the segment. */
export interface Announcement {
  kind: 'garp' | 'na';
  ip: string;
  mac: string;
  from: string;
  ifname: string;
  router?: boolean;
}

export interface WirePacket {
  from: FakeVrrpSocket;
  payload: Uint8Array;
  src: string;
  dst: string;
  ttl: number;
}

export class FakeSegment {
  readonly announcements: Announcement[] = [];
  private readonly sockets = new Set<FakeVrrpSocket>();
  private readonly queue: Array<() => void> = [];
  private scheduled = false;
  private dropFilter: (pkt: WirePacket) => boolean = () => false;
  private readonly announcementListeners = new Set<(a: Announcement) => void>();
  /** Every VRRP packet put on the wire (after the drop filter), for assertions. */
  readonly wire: WirePacket[] = [];

  constructor(readonly name = 'seg') {}

  /** Drops packets for which `filter` returns true (partitions, loss). */
  dropWhen(filter: (pkt: WirePacket) => boolean): void {
    this.dropFilter = filter;
  }

  onAnnouncement(cb: (a: Announcement) => void): () => void {
    this.announcementListeners.add(cb);
    return () => this.announcementListeners.delete(cb);
  }

  /** Resolves once every queued delivery (and any sent in reaction) has happened. */
  async flush(): Promise<void> {
    for (let i = 0; i < 1000 && (this.queue.length > 0 || this.scheduled); i++) {
      await new Promise<void>((r) => setImmediate(r));
    }
  }

  /** @internal */
  register(sock: FakeVrrpSocket): void {
    this.sockets.add(sock);
  }

  /** @internal */
  unregister(sock: FakeVrrpSocket): void {
    this.sockets.delete(sock);
  }

  /** @internal Puts a VRRP packet on the wire. */
  transmit(pkt: WirePacket): void {
    if (this.dropFilter(pkt)) return;
    this.wire.push(pkt);
    this.enqueue(() => {
      for (const sock of this.sockets) {
        if (sock === pkt.from || sock.family !== pkt.from.family) continue;
        const iface = sock.iface;
        if (!iface.running || !iface.host.linkIsOn(iface)) continue;
        const multicast = pkt.dst === sock.group;
        if (multicast ? !sock.joined : !iface.addresses.some((a) => a.address === pkt.dst)) continue;
        // IP multicast loop is off (as on the real socket); a unicast packet to ourselves never
        // leaves the host, so neither case delivers to the sender's own host.
        if (iface.host === pkt.from.iface.host) continue;
        const delivered: VrrpPacket = { payload: pkt.payload.slice(), src: pkt.src, dst: pkt.dst, ttl: pkt.ttl, ifindex: iface.ifindex };
        sock.deliver(delivered);
      }
    });
  }

  /** @internal */
  announce(a: Announcement): void {
    this.enqueue(() => {
      this.announcements.push(a);
      for (const cb of this.announcementListeners) cb(a);
    });
  }

  private enqueue(fn: () => void): void {
    this.queue.push(fn);
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      while (this.queue.length > 0) this.queue.shift()?.();
    });
  }
}

export interface AttachOptions {
  ifname?: string;
  /** Primary IPv4 address with prefix, e.g. '192.0.2.1/24'. */
  ipv4?: string;
  /** Global IPv6 address with prefix, e.g. '2001:db8::1/64'. A link-local one is always added. */
  ipv6?: string;
  mac?: string;
}

let hostCounter = 0;

export class FakeHost {
  readonly interfaces: FakeInterface[] = [];
  readonly vrrpSockets: FakeVrrpSocketFactory;
  readonly announcer: FakeAnnouncer;
  readonly addresses: FakeAddressManager;
  readonly links: FakeLinkMonitor;
  private readonly hostId = ++hostCounter;

  /** `options.clock`: VRRP sockets get an advert pacer driven by it (as the native sockets have). */
  constructor(readonly name: string, options: { clock?: Clock } = {}) {
    this.vrrpSockets = new FakeVrrpSocketFactory(this, options.clock);
    this.announcer = new FakeAnnouncer(this);
    this.addresses = new FakeAddressManager(this);
    this.links = new FakeLinkMonitor(this);
    this.interfaces.push({ host: this, ifname: 'lo', ifindex: 1, mac: '00:00:00:00:00:00', up: true, running: true, addresses: [
      { ifname: 'lo', ifindex: 1, family: 4, address: '127.0.0.1', prefixLength: 8, label: 'lo', scope: 'host' },
      { ifname: 'lo', ifindex: 1, family: 6, address: '::1', prefixLength: 128, scope: 'host' },
    ] });
  }

  /** Plugs a new interface of this host into `segment`. */
  attach(segment: FakeSegment, options: AttachOptions = {}): FakeInterface {
    const ifindex = this.interfaces.length + 1;
    const ifname = options.ifname ?? `eth${ifindex - 2}`;
    if (this.iface(ifname)) throw new Error(`${this.name} already has an interface ${ifname}`);
    const mac = options.mac ?? `02:00:00:${hex(this.hostId >> 8)}:${hex(this.hostId)}:${hex(ifindex)}`;
    const iface: FakeInterface = { host: this, ifname, ifindex, mac, up: true, running: true, segment, addresses: [] };
    iface.addresses.push({ ifname, ifindex, family: 6, address: `fe80::${(this.hostId & 0xffff).toString(16)}:${ifindex.toString(16)}`, prefixLength: 64, scope: 'link' });
    if (options.ipv4) {
      const [address = '', len = '24'] = options.ipv4.split('/');
      iface.addresses.unshift({ ifname, ifindex, family: 4, address, prefixLength: Number(len), label: ifname, scope: 'global' });
    }
    if (options.ipv6) {
      const [address = '', len = '64'] = options.ipv6.split('/');
      iface.addresses.push({ ifname, ifindex, family: 6, address, prefixLength: Number(len), scope: 'global' });
    }
    this.interfaces.push(iface);
    return iface;
  }

  iface(ifname: string): FakeInterface | undefined {
    return this.interfaces.find((i) => i.ifname === ifname);
  }

  /** `ip link set IF up|down`: admin state and (with carrier) running, with a link notification. */
  setLinkUp(ifname: string, up: boolean): void {
    const iface = this.mustIface(ifname);
    iface.up = up;
    iface.running = up;
    this.links.notify(iface);
  }

  /** Carrier loss / return (cable pulled, peer's veth down): running changes, admin state does not. */
  setCarrier(ifname: string, carrier: boolean): void {
    const iface = this.mustIface(ifname);
    iface.running = iface.up && carrier;
    this.links.notify(iface);
  }

  /** @internal */
  linkIsOn(iface: FakeInterface): boolean {
    return iface.up && iface.running && iface.segment !== undefined;
  }

  private mustIface(ifname: string): FakeInterface {
    const iface = this.iface(ifname);
    if (!iface) throw new Error(`${this.name} has no interface ${ifname}`);
    return iface;
  }
}

function hex(n: number): string {
  return (n & 0xff).toString(16).padStart(2, '0');
}
