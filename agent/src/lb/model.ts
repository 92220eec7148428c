/**
 * The desired virtual-server table: what the load balancer should hold, whatever programs it.
 * Both data planes consume this one model: IPVS (agent/src/os/ipvs, through generic netlink)
 * and nftables (agent/src/lb/nft). It is derived from the cluster spec's `virtualServers` plus
 * real-server health by {@link ./desired.ts}; the IPVS reconciler diffs it against the kernel.
 *
 * Everything here is plain data in canonical form (addresses RFC 5952 / dotted quad, ports as
 * numbers, times in whole seconds as the kernel keeps them) so two tables compare with `===`
 * on their keys and fields.
 */
import type { LvsMethod, Scheduler } from '#schema';

export type { Scheduler };
export type IpFamily = 'inet' | 'inet6';
export type LbProtocol = 'TCP' | 'UDP' | 'SCTP';
/** NAT/DR/TUN from the spec; LOCAL and BYPASS only ever appear in tables read back from IPVS. */
export type ForwardingMethod = LvsMethod | 'LOCAL' | 'BYPASS';

/** `ip_vs_svc` flags Vigil sets (IP_VS_SVC_F_*); `persistent` follows from `persistence`. */
export interface ServiceFlags {
  /** IP_VS_SVC_F_ONEPACKET (`ops`, UDP only). */
  onePacket: boolean;
  /** IP_VS_SVC_F_SCHED1..3: `flag-1` = `sh-fallback` = `mh-fallback`, `flag-2` = `sh-port` = `mh-port`, `flag-3`. */
  sched1: boolean;
  sched2: boolean;
  sched3: boolean;
}

/** A service's identity: VIP:port/protocol, or a firewall mark per address family. */
export type ServiceKey =
  | { kind: 'address'; family: IpFamily; protocol: LbProtocol; address: string; port: number }
  | { kind: 'fwmark'; family: IpFamily; fwmark: number };

export interface Persistence {
  /** `persistence_timeout` in seconds (> 0). */
  timeoutSec: number;
  /**
   * `persistence_granularity`: IPv4 as a prefix length 0..32 (the kernel keeps a be32 mask),
   * IPv6 as a prefix length 1..128. Default 32 / 128 (one client address).
   */
  netmaskPrefix: number;
}

/** `lvs_method TUN type ...`: the encapsulation of one destination. */
export interface Tunnel {
  type: 'ipip' | 'gue' | 'gre';
  /** GUE destination port (0 for ipip/gre). */
  port: number;
  /** IP_VS_TUNNEL_ENCAP_FLAG_*: none (nocsum), csum, remcsum. */
  checksum: 'nocsum' | 'csum' | 'remcsum';
}

export interface Destination {
  family: IpFamily;
  address: string;
  /** 0 for fwmark services (the packet's own port is kept). */
  port: number;
  method: ForwardingMethod;
  /** Present only when method is TUN. */
  tunnel?: Tunnel;
  weight: number;
  /** 0 = no limit. */
  upperThreshold: number;
  lowerThreshold: number;
}

export interface Service {
  key: ServiceKey;
  scheduler: Scheduler;
  flags: ServiceFlags;
  persistence?: Persistence;
  /** `persistence_engine` (kernel PE name, e.g. "sip"). */
  persistenceEngine?: string;
  destinations: Destination[];
}

export interface VirtualServerTable {
  services: Service[];
}

/** Counters as IPVS reports them (64-bit where the kernel has STATS64; bigint-free: < 2^53). */
export interface LbStats {
  conns: number;
  inPkts: number;
  outPkts: number;
  inBytes: number;
  outBytes: number;
  cps: number;
  inPps: number;
  outPps: number;
  inBps: number;
  outBps: number;
}

/** A destination read back from the kernel, with its live counters. */
export interface ActualDestination extends Destination {
  activeConns: number;
  inactiveConns: number;
  persistentConns: number;
  stats: LbStats;
}

/** A service read back from the kernel. `flags` carries only the bits Vigil manages. */
export interface ActualService extends Omit<Service, 'destinations'> {
  destinations: ActualDestination[];
  stats: LbStats;
}

export interface ActualTable {
  services: ActualService[];
}

export const NO_FLAGS: ServiceFlags = { onePacket: false, sched1: false, sched2: false, sched3: false };

/** `ipvsadm -Ln` style id: "TCP 10.0.0.1:80", "UDP [2001:db8::1]:53", "FWM 5 inet6". */
export function serviceId(key: ServiceKey): string {
  if (key.kind === 'fwmark') return `FWM ${key.fwmark} ${key.family}`;
  return `${key.protocol} ${hostPort(key.address, key.family, key.port)}`;
}

/** A destination's id within its service: "10.0.0.10:80", "[2001:db8::10]:80". */
export function destinationId(d: Pick<Destination, 'address' | 'family' | 'port'>): string {
  return hostPort(d.address, d.family, d.port);
}

function hostPort(address: string, family: IpFamily, port: number): string {
  return family === 'inet6' ? `[${address}]:${port}` : `${address}:${port}`;
}
