/**
 * The agent's ports to the operating system. The runtime depends only on these interfaces;
 * `os/*.ts` implements them on Linux (raw sockets through the vigil_net addon, rtnetlink through
 * the `netlink` package) and `os/fake/*` implements them in memory for unit tests. The same
 * contract suites (`test/contract/*.case.ts`) run against both.
 *
 * Expected kernel outcomes (address already there, interface gone, network down) are returned
 * as {@link OsResult} values; only programmer errors (bad arguments, closed sockets) throw.
 */

/** An expected outcome of a kernel operation: `ok`, or the errno name and a readable message. */
export type OsResult<T = void> =
  | { ok: true; value: T }
  | { ok: false; code: string; message: string };

export type AddressFamily = 4 | 6;

/** One VRRP message as the kernel delivered it (no IP header). */
export interface VrrpPacket {
  /** The VRRP message (header, addresses, v2 auth data): what the codec decodes. */
  payload: Uint8Array;
  /** IP source address of the sender. */
  src: string;
  /** IP destination address (the multicast group, or our unicast address). */
  dst: string;
  /** TTL (IPv4) or hop limit (IPv6) as received; RFC 5798 §7.1 requires 255 for multicast. */
  ttl: number;
  /** Interface the packet arrived on. */
  ifindex: number;
  /**
   * When the kernel received it, in the {@link Clock}'s time (SO_TIMESTAMPNS); absent when
   * unknown. Timers restarted by this packet count from here, not from when JS got to it.
   */
  receivedAt?: number;
}

/** Options for one outgoing packet. */
export interface VrrpSendOptions {
  /**
   * TTL / hop limit for this packet only, instead of 255 (RFC 5798 §5.1.1.3): keepalived's
   * `unicast_ttl` for unicast adverts, and tests proving the receiver sees the value.
   */
  ttl?: number;
}

/**
 * A raw IP protocol-112 socket on one interface (multicast) or towards unicast peers.
 * keepalived's socket pool shares one socket per (family, interface) among all VRIDs; so can we:
 * `onPacket` listeners receive every VRRP packet on the interface and dispatch by VRID.
 */
export interface VrrpSocket {
  readonly family: AddressFamily;
  readonly ifname: string;
  /** Sends one VRRP message to `dst` (224.0.0.18, ff02::12 or a unicast peer). */
  send(payload: Uint8Array, dst: string, options?: VrrpSendOptions): OsResult;
  /** Registers a listener; returns a function that removes it. */
  onPacket(cb: (pkt: VrrpPacket) => void): () => void;
  /**
   * The source address a packet to `dst` leaves from (send() uses exactly this one): the
   * configured `sourceAddress`, else the interface's primary IPv4 address, or for IPv6 its
   * link-local address (multicast and link-local peers) or its first global address (other
   * unicast peers). The codec needs it for the v3 pseudo-header checksum. `undefined` while
   * the interface has no such address. `dst` defaults to the VRRP multicast group.
   */
  localAddress(dst?: string): string | undefined;
  /**
   * Sends `payload` to `dst` at `firstAt` (a {@link Clock} time, ms) and every `periodMs` after,
   * from a native thread that JS garbage collection cannot delay, until `unpace(key)`, `close()`,
   * or another `pace(key)` replaces it. Optional: a socket without it (the in-memory fake) leaves
   * periodic adverts to the runtime's timer.
   */
  pace?(key: string, payload: Uint8Array, dst: string, firstAt: number, periodMs: number, options?: VrrpSendOptions): OsResult;
  /** Stops the job `key` (no-op when there is none). */
  unpace?(key: string): void;
  /** Stops receiving and releases the socket. Idempotent. */
  close(): void;
}

export interface VrrpSocketOptions {
  family: AddressFamily;
  /** Interface to send and receive on (SO_BINDTODEVICE). */
  ifname: string;
  /**
   * Join the VRRP multicast group (224.0.0.18 / ff02::12) on the interface. Defaults to true;
   * set false for unicast-only instances (unicast_peer).
   */
  multicast?: boolean;
  /** The group to join when `multicast` (keepalived `mcast_dst_ip`); default 224.0.0.18 / ff02::12. */
  group?: string;
  /** Source address to send from (keepalived `mcast_src_ip` / `unicast_src_ip`). */
  sourceAddress?: string;
}

/** Opens VRRP sockets; the real one needs CAP_NET_RAW. */
export interface VrrpSocketFactory {
  open(options: VrrpSocketOptions): Promise<OsResult<VrrpSocket>>;
}

/** Sends the announcements that move a VIP's traffic to this router on takeover. */
export interface Announcer {
  /** Gratuitous ARP for an IPv4 VIP (sender = target = ip), broadcast on ifname. */
  garp(ifname: string, ip: string, options?: { mac?: string }): Promise<OsResult>;
  /** Unsolicited Neighbor Advertisement (RFC 4861 §7.2.6) for an IPv6 VIP to ff02::1 on ifname. */
  unsolicitedNa(ifname: string, ip: string, options?: { mac?: string; router?: boolean }): Promise<OsResult>;
  /**
   * Optional: one announcement per item (GARP for IPv4, NA for IPv6), sent back to back from
   * one socket per interface, in one call: a takeover's whole round goes out with no event-loop
   * turn between two of them. Results in item order.
   */
  burst?(items: ReadonlyArray<{ ifname: string; ip: string }>): OsResult[];
  close(): void;
}

/** An address as the kernel reports it. */
export interface InterfaceAddress {
  ifname: string;
  ifindex: number;
  family: AddressFamily;
  address: string;
  prefixLength: number;
  /** IPv4 broadcast address, when set. */
  brd?: string;
  /** IPv4 label (e.g. `eth0:vip`); the interface name when none was given. */
  label?: string;
  scope: AddressScope;
}

export type AddressScope = 'global' | 'site' | 'link' | 'host' | 'nowhere';

export interface AddressSpec {
  ifname: string;
  address: string;
  prefixLength: number;
  /** IPv4 broadcast: an address, or '+' for "derive from the prefix" like `ip addr add ... brd +`. */
  brd?: string;
  label?: string;
  scope?: AddressScope;
  /** IPv6: skip duplicate address detection (a VIP moving between routers must not be tentative). */
  nodad?: boolean;
}

/** Addresses through rtnetlink. Every write is idempotent. */
export interface AddressManager {
  /** Addresses, optionally of one interface (an unknown interface is a result with code ENODEV). */
  list(ifname?: string): Promise<OsResult<InterfaceAddress[]>>;
  /** Adds or replaces (NLM_F_REPLACE); an address already present is success. */
  add(spec: AddressSpec): Promise<OsResult>;
  /** Removes; an address already absent is success. */
  remove(spec: Pick<AddressSpec, 'ifname' | 'address' | 'prefixLength'>): Promise<OsResult>;
  close(): void;
}

/** A route as `virtual_routes` describes it (the common subset of `ip route`). */
export interface RouteSpec {
  /** Destination prefix `P/len`, or 'default'. */
  to: string;
  via?: string;
  dev?: string;
  src?: string;
  table?: number;
  metric?: number;
  scope?: AddressScope;
  type?: 'unicast' | 'blackhole' | 'unreachable' | 'prohibit';
}

/** Routes through rtnetlink. Adds replace; removing an absent route is success. */
export interface RouteManager {
  add(route: RouteSpec): Promise<OsResult>;
  remove(route: RouteSpec): Promise<OsResult>;
  close(): void;
}

export interface LinkState {
  ifname: string;
  ifindex: number;
  /** Administratively up (IFF_UP). */
  up: boolean;
  /** Operationally running (IFF_RUNNING: carrier and up). */
  running: boolean;
  /** Hardware address, when the link has one. */
  mac?: string;
}

/** Link state through rtnetlink; changes come from RTNLGRP_LINK notifications, never polling. */
export interface LinkMonitor {
  list(): Promise<OsResult<LinkState[]>>;
  /** Called for every RTM_NEWLINK/RTM_DELLINK; a deleted link is reported down and not running. */
  onChange(cb: (link: LinkState) => void): () => void;
  close(): void;
}

/** A cancellable timer from {@link Clock}. */
export interface TimerHandle {
  cancel(): void;
}

/** Monotonic time and timers, so the runtime can be driven by a fake clock in tests. */
export interface Clock {
  /** Monotonic milliseconds (not wall time; never jumps with NTP). */
  now(): number;
  setTimeout(cb: () => void, delayMs: number): TimerHandle;
}
