/**
 * `vrrp_instance NAME { ... }` as a cluster-wide object plus per-director overrides.
 *
 * Which fields may be overridden per director (`directors[name]`):
 * - legitimately node-local: `priority`, `state`, `interface`, `unicastSrcIp`, `mcastSrcIp`,
 *   `nopreempt`, `preemptDelayMs`, `trackInterfaces` (interface names differ between boxes),
 *   `virtualIpAddresses` (e.g. a different `dev`/`label` per box: the ADDRESS SET must agree);
 * - must-agree fields, overridable only so that an import of disagreeing keepalived.conf files
 *   is representable and then rejected by the fleet rules with a precise path:
 *   `virtualRouterId`, `version`, `advertIntervalMs`, `auth` (and the address set above).
 * The importer puts what all files agree on at instance level and every difference in the
 * override of the director whose file said it.
 */
import { z } from 'zod';
import {
  Cidr, Command, DirectorName, DurationMs, InterfaceLabel, InterfaceName, IpAddress, IpPrefix, strict,
} from './primitives.ts';
import { NotifyHooks, TrackInterfaceRef, trackingFields } from './tracking.ts';

/** Scope keywords of `ip addr` / keepalived `scope`. */
export const AddressScope = z.enum(['global', 'site', 'link', 'host', 'nowhere']);

/**
 * One `virtual_ipaddress` line: `IP[/len] [brd IP|+|-] [dev IF] [scope S] [label IF:x] ...`.
 * A bare string "IP[/len]" is accepted as shorthand for `{ address }`.
 */
export const VirtualIpAddressObject = strict({
  /** `IP[/len]`; without /len keepalived uses /32 (IPv4) or /128 (IPv6). */
  address: IpPrefix,
  /** `dev IF` (default: the instance interface). */
  dev: InterfaceName.optional(),
  /** `brd IP|+|-` ("+" = derive, "-" = none). */
  brd: z.union([IpAddress, z.literal('+'), z.literal('-')]).optional(),
  /** `scope` */
  scope: AddressScope.optional(),
  /** `label IF:x` (IPv4 only). */
  label: InterfaceLabel.optional(),
  /** `peer IP` (point-to-point). */
  peer: IpAddress.optional(),
  /** `noprefixroute` */
  noPrefixRoute: z.boolean().optional(),
  /** `-nodad` (IPv6) */
  noDad: z.boolean().optional(),
  /** `home` (IPv6 mobility) */
  home: z.boolean().optional(),
  /** `preferred_lft N|forever` (seconds; 0 = deprecated, the keepalived default for /128). */
  preferredLft: z.union([z.number().int().min(0), z.literal('forever')]).optional(),
  /** `no_track`: a failure to find this address does not put the instance in FAULT. */
  noTrack: z.boolean().optional(),
});
export const VirtualIpAddress = z.preprocess(
  (v) => (typeof v === 'string' ? { address: v } : v),
  VirtualIpAddressObject,
);
export type VirtualIpAddress = z.infer<typeof VirtualIpAddressObject>;

/** One `virtual_routes` line (the common subset of `ip route`). */
export const VirtualRoute = strict({
  /** `[to] P/len` or `default`. */
  to: z.union([Cidr, z.literal('default')]),
  /** `src IP` */
  src: IpAddress.optional(),
  /** `via|gw IP` */
  via: IpAddress.optional(),
  /** `dev IF` */
  dev: InterfaceName.optional(),
  /** `table N` */
  table: z.number().int().min(0).max(0xffffffff).optional(),
  /** `metric N` */
  metric: z.number().int().min(0).max(0xffffffff).optional(),
  /** `scope` */
  scope: AddressScope.optional(),
  /** `blackhole|unreachable|prohibit` route types; default unicast. */
  type: z.enum(['unicast', 'blackhole', 'unreachable', 'prohibit']).default('unicast'),
  /** `no_track` */
  noTrack: z.boolean().optional(),
});
export type VirtualRoute = z.infer<typeof VirtualRoute>;

/**
 * `authentication { auth_type PASS|AH; auth_pass X }` — VRRPv2 only (RFC 3768 removed it; the
 * fleet rules reject it with version 3). keepalived uses only the first 8 characters of the
 * password, so longer ones are rejected here rather than silently truncated.
 */
export const VrrpAuth = strict({
  type: z.enum(['PASS', 'AH']),
  password: z.string().min(1).max(8, 'keepalived uses only the first 8 characters of auth_pass: shorten it to 8'),
});
export type VrrpAuth = z.infer<typeof VrrpAuth>;

/**
 * Gratuitous ARP / unsolicited NA timing per instance (`garp_*`). Unset fields inherit the
 * global `vrrp_garp_*` values (see `GlobalSettings.garp`).
 */
export const GarpSettings = strict({
  /** `garp_master_delay` seconds: delay of the second burst after becoming MASTER. */
  masterDelayMs: DurationMs.optional(),
  /** `garp_master_repeat`: packets per burst. */
  masterRepeat: z.number().int().min(1).max(255).optional(),
  /** `garp_master_refresh`: periodic GARP while MASTER (0 = off). */
  masterRefreshMs: DurationMs.optional(),
  /** `garp_master_refresh_repeat` */
  masterRefreshRepeat: z.number().int().min(1).max(255).optional(),
  /** `garp_lower_prio_delay` (re-GARP when a lower-priority advert arrives: heals split brain). */
  lowerPrioDelayMs: DurationMs.optional(),
  /** `garp_lower_prio_repeat` */
  lowerPrioRepeat: z.number().int().min(0).max(255).optional(),
});
export type GarpSettings = z.infer<typeof GarpSettings>;

/** `unicast_peer { IP [min_ttl N] [max_ttl N] }` entry. */
export const UnicastPeer = strict({
  address: IpAddress,
  minTtl: z.number().int().min(0).max(255).optional(),
  maxTtl: z.number().int().min(0).max(255).optional(),
});
export type UnicastPeer = z.infer<typeof UnicastPeer>;

/** `state MASTER|BACKUP` (the start state). */
export const VrrpStartState = z.enum(['MASTER', 'BACKUP']);
export type VrrpStartState = z.infer<typeof VrrpStartState>;

/** VRRP protocol version (`version 2|3`, `vrrp_version`). */
export const VrrpVersion = z.union([z.literal(2), z.literal(3)]);
export type VrrpVersion = z.infer<typeof VrrpVersion>;

/** `virtual_router_id 1..255` */
export const VirtualRouterId = z.number().int().min(1).max(255);
/** `priority 1..255` (255 = address owner). */
export const Priority = z.number().int().min(1).max(255);
/**
 * `advert_int`, in ms. Shape range 10..255000; the version-specific rule (v2: whole seconds
 * 1..255 s; v3: 10..40950 ms in 10 ms steps, the 12-bit centisecond field of RFC 5798 §5.2.7)
 * is checked on the effective version by `ClusterSpec`.
 */
export const AdvertIntervalMs = z.number().int().min(10).max(255_000);

/** Per-director override of one instance (see the module comment for which fields are legit). */
export const InstanceDirectorOverride = strict({
  priority: Priority.optional(),
  state: VrrpStartState.optional(),
  interface: InterfaceName.optional(),
  unicastSrcIp: IpAddress.optional(),
  mcastSrcIp: IpAddress.optional(),
  nopreempt: z.boolean().optional(),
  preemptDelayMs: DurationMs.max(1_000_000).optional(),
  trackInterfaces: z.array(TrackInterfaceRef).optional(),
  virtualIpAddresses: z.array(VirtualIpAddress).optional(),
  // Must agree across members; present only to represent (and reject) imported disagreement.
  virtualRouterId: VirtualRouterId.optional(),
  version: VrrpVersion.optional(),
  advertIntervalMs: AdvertIntervalMs.optional(),
  auth: VrrpAuth.optional(),
});
export type InstanceDirectorOverride = z.infer<typeof InstanceDirectorOverride>;

/** `vrrp_instance NAME { ... }` — cluster-wide part. */
export const VrrpInstance = strict({
  /**
   * Directors that run this instance (default: every director of the cluster).
   * keepalived has no such keyword: one file per node simply has or lacks the instance.
   */
  members: z.array(DirectorName).min(1).optional(),
  /** `interface IF` (may be omitted with unicast; falls back to director/global default). */
  interface: InterfaceName.optional(),
  /** `virtual_router_id` */
  virtualRouterId: VirtualRouterId,
  /**
   * `version 2|3`. Unset: global `vrrpVersion`, except that an IPv6 instance uses 3 (keepalived
   * does the same). Setting 2 explicitly with IPv6 VIPs is a fleet error.
   */
  version: VrrpVersion.optional(),
  /** `priority` (default 100). Usually overridden per director. */
  priority: Priority.default(100),
  /** `state` start state (default BACKUP). */
  state: VrrpStartState.default('BACKUP'),
  /** `advert_int` (default 1 s). */
  advertIntervalMs: AdvertIntervalMs.default(1000),
  /** `nopreempt` (requires start state BACKUP). */
  nopreempt: z.boolean().default(false),
  /** `preempt_delay 0..1000` seconds. */
  preemptDelayMs: DurationMs.max(1_000_000).default(0),
  /** `accept` / `no_accept` (default: accept unless global vrrpStrict). */
  accept: z.boolean().optional(),
  /** `authentication {}` */
  auth: VrrpAuth.optional(),
  /** `virtual_ipaddress {}`: carried in adverts; all of one family. */
  virtualIpAddresses: z.array(VirtualIpAddress).default([]),
  /** `virtual_ipaddress_excluded {}`: not carried in adverts; may mix families. */
  virtualIpAddressesExcluded: z.array(VirtualIpAddress).default([]),
  /** `no_virtual_ipaddress` (VIP moved by a notify script, e.g. a cloud API). */
  noVirtualIpAddress: z.boolean().default(false),
  /** `virtual_routes {}` */
  virtualRoutes: z.array(VirtualRoute).default([]),
  /** `mcast_dst_ip` (default: global vrrpMcastGroup4/6). */
  mcastDstIp: IpAddress.optional(),
  /**
   * `unicast_peer {}`: when non-empty the instance is unicast. List EVERY member's address
   * (its unicastSrcIp); each director sends to all of them except its own. The importer builds
   * this as the union of each file's unicast_peer and unicast_src_ip.
   */
  unicastPeers: z.array(UnicastPeer).default([]),
  /**
   * `unicast_ttl`: the TTL / hop limit of the unicast adverts this instance sends (default 255).
   * Receivers accept only 255 unless the sender's `unicastPeers` entry gives a min/max TTL.
   */
  unicastTtl: z.number().int().min(1).max(255).optional(),
  /**
   * `skip_check_adv_addr` (default: global vrrpSkipCheckAdvAddr): a backup does not check the
   * address list of adverts from the master it follows.
   */
  skipCheckAdvAddr: z.boolean().optional(),
  /**
   * `lower_prio_no_advert` (default: on under strict_mode, else global lowerPrioNoAdvert): a
   * master that hears a lower-priority advert stays silent (pre-RFC 9568) instead of answering
   * with its own, which is what makes the other side yield after a split brain.
   */
  lowerPrioNoAdvert: z.boolean().optional(),
  /**
   * `higher_prio_send_advert` (default: global higherPrioSendAdvert): a master that hears a
   * higher-priority advert sends one more of its own before it yields, so the winner hears a
   * lower priority and re-announces the VIPs (garp_lower_prio_*) to the hosts that followed
   * this one during the split.
   */
  higherPrioSendAdvert: z.boolean().optional(),
  /**
   * `v3_checksum_as_v2` (default: global v3ChecksumAsV2): VRRPv3 over IPv4 sends and accepts
   * only the checksum without the pseudo-header (RFC 9568 §5.2.8, Cisco/Juniper); otherwise
   * only the RFC 5798 form with it (keepalived's default).
   */
  v3ChecksumAsV2: z.boolean().optional(),
  /** `garp_*` */
  garp: GarpSettings.optional(),
  ...trackingFields,
  /** `dont_track_primary` */
  dontTrackPrimary: z.boolean().default(false),
  /** `notify_*` */
  notify: NotifyHooks.optional(),
  /** `notify_priority_changes` */
  notifyPriorityChanges: z.boolean().default(false),
  /** `promote_secondaries` */
  promoteSecondaries: z.boolean().default(false),
  /** `use_vmac [name]`: true = default name vrrp.<vrid>. */
  useVmac: z.union([z.boolean(), InterfaceName]).default(false),
  /** `vmac_xmit_base` */
  vmacXmitBase: z.boolean().default(false),
  /** `strict_mode` (default: global vrrpStrict). */
  strictMode: z.boolean().optional(),
  /**
   * L2 segment this instance advertises on, for the site rule "one VRID per segment".
   * Default: the cluster's segment (see checkFleetRules).
   */
  segment: z.string().min(1).max(128).optional(),
  /** Per-director overrides, keyed by director name. */
  directors: z.record(DirectorName, InstanceDirectorOverride).default({}),
});
export type VrrpInstance = z.infer<typeof VrrpInstance>;

/** Commands run by keepalived around its life (`startup_script`, `shutdown_script`). */
export const LifecycleScript = strict({ command: Command, timeoutMs: DurationMs.optional() });
