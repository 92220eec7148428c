/**
 * From a director's effective instance (schema resolve.ts) to what the runtime needs: the state
 * machine's config, the receive checks' config, the VIPs as rtnetlink address specs, and where
 * adverts go. Pure: the only input from the OS is the primary address the socket will send from.
 */
import type { ResolvedVrrpInstance } from '../../../schema/src/spec/resolve.ts';
import type { AddressSpec, RouteSpec } from '../os/ports.ts';
import type { InstanceConfig } from '../vrrp/state.ts';
import type { ReceiveConfig } from '../vrrp/validate.ts';
import type { AuthType } from '../vrrp/packet.ts';

export const VRRP_GROUP = { ipv4: '224.0.0.18', ipv6: 'ff02::12' } as const;

/** Sockets are shared per (family, interface, group or unicast, source) like keepalived's socket pool. */
export interface SocketKey {
  family: 4 | 6;
  ifname: string;
  multicast: boolean;
  /** The group a multicast socket joins (`mcast_dst_ip`); default 224.0.0.18 / ff02::12. */
  group?: string;
  sourceAddress?: string;
}

export const socketKeyId = (k: SocketKey) => `${k.family}|${k.ifname}|${k.multicast ? `m${k.group ?? ''}` : 'u'}|${k.sourceAddress ?? ''}`;

export interface InstancePlan {
  name: string;
  socket: SocketKey;
  /** Where adverts are sent: the group, or every unicast peer. */
  destinations: string[];
  /** VIPs carried in adverts (canonical, no prefix), in config order. */
  advertAddresses: string[];
  /** Every address the instance owns while master (VIPs then excluded VIPs). */
  vips: AddressSpec[];
  /** `virtual_routes`: installed with the VIPs on becoming master, removed with them. */
  routes: RouteSpec[];
  authType: AuthType;
  authPass?: string;
  /** VRRPv3 over IPv4: send the checksum without the pseudo-header (`v3_checksum_as_v2`). */
  v3ChecksumAsV2: boolean;
  /** TTL / hop limit of unicast adverts (`unicast_ttl`); undefined = 255. */
  sendTtl?: number;
  /** Receive checks, without the priority and master (the runtime fills in the live ones). */
  receive: Omit<ReceiveConfig, 'priority' | 'masterAddress' | 'unicastAddress'>;
  /** Base priority and the rest of the state machine's config, without the primary address. */
  fsm: Omit<InstanceConfig, 'primaryAddress'>;
}

/** "192.0.2.10/24" → address + prefix; no prefix means a host route, like keepalived. */
export function splitPrefix(text: string): { address: string; prefixLength: number } {
  const [address, len] = text.split('/');
  const v6 = address!.includes(':');
  return { address: address!, prefixLength: len === undefined ? (v6 ? 128 : 32) : Number(len) };
}

function vipSpec(v: ResolvedVrrpInstance['virtualIpAddresses'][number], ifname: string): AddressSpec {
  const { address, prefixLength } = splitPrefix(v.address);
  const spec: AddressSpec = { ifname: v.dev ?? ifname, address, prefixLength };
  if (v.brd && v.brd !== '-') spec.brd = v.brd;
  if (v.label) spec.label = v.label;
  if (v.scope) spec.scope = v.scope;
  // A VIP moving between routers must be usable at once, not tentative for DAD (RFC 4862 §5.4).
  if (address.includes(':')) spec.nodad = true;
  return spec;
}

export class PlanError extends Error {}

export function planInstance(inst: ResolvedVrrpInstance): InstancePlan {
  const ifname = inst.interface;
  if (!ifname) throw new PlanError(`vrrp_instance ${inst.name}: no interface (set "interface" in the instance or global_defs)`);
  const family = inst.family === 'inet6' ? 6 : 4;
  const vrrpFamily = family === 6 ? 'ipv6' as const : 'ipv4' as const;
  const unicast = inst.transport.kind === 'unicast';
  const destinations = inst.transport.kind === 'unicast' ? inst.transport.peers.map((p) => p.address) : [inst.transport.dstIp];
  if (destinations.length === 0) throw new PlanError(`vrrp_instance ${inst.name}: unicast with no peer other than this director`);
  const vips = inst.virtualIpAddresses.map((v) => vipSpec(v, ifname));
  const excluded = inst.virtualIpAddressesExcluded.map((v) => vipSpec(v, ifname));
  const advertAddresses = vips.map((v) => v.address);
  const authType: AuthType = !inst.auth ? 'none' : inst.auth.type === 'PASS' ? 'pass' : 'ah';
  const g = inst.garp;
  const t = inst.transport;
  const v3Plain = inst.version === 3 && vrrpFamily === 'ipv4' && inst.v3ChecksumAsV2;
  return {
    name: inst.name,
    socket: { family, ifname, multicast: !unicast, ...(t.kind === 'multicast' ? { group: t.dstIp } : {}), ...(t.srcIp ? { sourceAddress: t.srcIp } : {}) },
    destinations,
    advertAddresses,
    vips: [...vips, ...excluded],
    routes: inst.virtualRoutes.map((r) => ({
      to: r.to,
      dev: r.dev ?? (r.via ? undefined : ifname),
      ...(r.via ? { via: r.via } : {}),
      ...(r.src ? { src: r.src } : {}),
      ...(r.table !== undefined ? { table: r.table } : {}),
      ...(r.metric !== undefined ? { metric: r.metric } : {}),
      ...(r.scope ? { scope: r.scope } : {}),
      type: r.type,
    })),
    authType,
    ...(inst.auth ? { authPass: inst.auth.password } : {}),
    v3ChecksumAsV2: v3Plain,
    ...(t.kind === 'unicast' && t.ttl !== undefined ? { sendTtl: t.ttl } : {}),
    receive: {
      version: inst.version,
      family: vrrpFamily,
      vrid: inst.virtualRouterId,
      advertIntervalMs: inst.advertIntervalMs,
      authType,
      ...(inst.auth ? { authPass: inst.auth.password } : {}),
      virtualAddresses: advertAddresses,
      ...(t.kind === 'unicast'
        ? { unicastPeers: t.peers.map((p) => ({ address: p.address, ...(p.minTtl !== undefined ? { minTtl: p.minTtl } : {}), ...(p.maxTtl !== undefined ? { maxTtl: p.maxTtl } : {}) })) }
        : { group: t.dstIp }),
      v3Ipv4Checksum: v3Plain ? 'plain' : 'pseudo',
      skipCheckAdvAddr: inst.skipCheckAdvAddr,
    },
    fsm: {
      name: inst.name,
      version: inst.version,
      family: vrrpFamily,
      vrid: inst.virtualRouterId,
      priority: inst.priority,
      advertIntervalMs: inst.advertIntervalMs,
      // keepalived ignores nopreempt when the configured start state is MASTER.
      preempt: !inst.nopreempt || inst.state === 'MASTER',
      preemptDelayMs: inst.preemptDelayMs,
      lowerPrioNoAdvert: inst.lowerPrioNoAdvert,
      higherPrioSendAdvert: inst.higherPrioSendAdvert,
      downTimerAdverts: 3,
      garp: {
        masterRepeat: g.minGarp ? 1 : g.masterRepeat,
        masterDelayMs: g.minGarp ? 0 : g.masterDelayMs,
        masterRefreshMs: g.masterRefreshMs,
        masterRefreshRepeat: g.masterRefreshRepeat,
        lowerPrioDelayMs: g.lowerPrioDelayMs,
        lowerPrioRepeat: g.lowerPrioRepeat,
      },
    },
  };
}
