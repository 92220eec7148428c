/**
 * The parts of keepalived's `global_defs` that matter per director, cluster-wide, and the
 * per-director node settings (`router_id`, default addresses) that live in `directors`.
 * Email/SNMP/DBus/process-scheduling knobs are deliberately absent: Vigil reports through the
 * control plane, and the agent is not keepalived's process tree.
 */
import { z } from 'zod';
import {
  Command, DurationMs, FilePath, InterfaceName, IpAddress, ObjectName, Port, RunAs, WholeSecondsMs, strict,
} from './primitives.ts';
import { VrrpVersion } from './vrrp-instance.ts';

/** Global GARP/NA timing (`vrrp_garp_*`, `vrrp_gna_interval`), keepalived defaults. */
export const GlobalGarp = strict({
  /** `vrrp_garp_master_delay` (default 5 s). */
  masterDelayMs: DurationMs.default(5000),
  /** `vrrp_garp_master_repeat` (default 5). */
  masterRepeat: z.number().int().min(1).max(255).default(5),
  /** `vrrp_garp_master_refresh` (default 0 = off). */
  masterRefreshMs: DurationMs.default(0),
  /** `vrrp_garp_master_refresh_repeat` (default 1). */
  masterRefreshRepeat: z.number().int().min(1).max(255).default(1),
  /** `vrrp_garp_lower_prio_delay` (default: masterDelayMs). */
  lowerPrioDelayMs: DurationMs.optional(),
  /** `vrrp_garp_lower_prio_repeat` (default: masterRepeat). */
  lowerPrioRepeat: z.number().int().min(0).max(255).optional(),
  /** `vrrp_garp_interval` pacing between GARPs (default 0). */
  intervalMs: DurationMs.default(0),
  /** `vrrp_gna_interval` pacing between unsolicited NAs (default 0). */
  gnaIntervalMs: DurationMs.default(0),
  /** `vrrp_min_garp`: one GARP, no repeat. */
  minGarp: z.boolean().default(false),
});
export type GlobalGarp = z.infer<typeof GlobalGarp>;

/** `lvs_sync_daemon IFACE [inst VRRP_INSTANCE] [id SYNCID] [maxlen N] [port N] [ttl N] [group IP]`. */
export const LvsSyncDaemon = strict({
  interface: InterfaceName,
  /** `inst`: the VRRP instance whose role (MASTER/BACKUP) the sync daemon follows. */
  instance: ObjectName.optional(),
  syncId: z.number().int().min(0).max(255).optional(),
  maxlen: z.number().int().min(1).max(65507).optional(),
  port: Port.default(8848),
  ttl: z.number().int().min(1).max(255).optional(),
  group: IpAddress.optional(),
});

/** `SSL { password ca certificate key }` client context for SSL_GET. */
export const SslContext = strict({
  password: z.string().optional(),
  ca: FilePath.optional(),
  certificate: FilePath.optional(),
  key: FilePath.optional(),
});

/** `global_defs` parts that apply to every director of the cluster. */
export const GlobalSettings = strict({
  /** `vrrp_version` (default 2; IPv6 instances always use 3). */
  vrrpVersion: VrrpVersion.default(2),
  /** `vrrp_mcast_group4` (default 224.0.0.18). */
  vrrpMcastGroup4: IpAddress.default('224.0.0.18'),
  /** `vrrp_mcast_group6` (default ff02::12). */
  vrrpMcastGroup6: IpAddress.default('ff02::12'),
  /** `default_interface` */
  defaultInterface: InterfaceName.optional(),
  /** `vrrp_strict` (default off). */
  vrrpStrict: z.boolean().default(false),
  /** `vrrp_skip_check_adv_addr` */
  vrrpSkipCheckAdvAddr: z.boolean().default(false),
  /** `vrrp_check_unicast_src` */
  vrrpCheckUnicastSrc: z.boolean().default(false),
  /** `v3_checksum_as_v2` (RFC 9568 / Cisco-Juniper interop) */
  v3ChecksumAsV2: z.boolean().default(false),
  /** `vrrp_lower_prio_no_advert` / `vrrp_higher_prio_send_advert` */
  lowerPrioNoAdvert: z.boolean().default(false),
  higherPrioSendAdvert: z.boolean().default(false),
  /** `vrrp_down_timer_adverts` (default 3). */
  downTimerAdverts: z.number().int().min(1).max(100).default(3),
  /** `vrrp_startup_delay` */
  startupDelayMs: DurationMs.default(0),
  garp: GlobalGarp.default(GlobalGarp.parse({})),
  /** `dynamic_interfaces [allow_if_changes]` */
  dynamicInterfaces: z.union([z.boolean(), z.literal('allow_if_changes')]).default(false),
  /** `script_user user[:group]` */
  scriptUser: RunAs.optional(),
  /** `enable_script_security` */
  enableScriptSecurity: z.boolean().default(false),
  /** `startup_script` / `shutdown_script` */
  startupScript: Command.optional(),
  shutdownScript: Command.optional(),
  lvsSyncDaemon: LvsSyncDaemon.optional(),
  /** `lvs_timeouts tcp S tcpfin S udp S` (whole seconds). */
  lvsTimeouts: strict({ tcpMs: WholeSecondsMs.optional(), tcpFinMs: WholeSecondsMs.optional(), udpMs: WholeSecondsMs.optional() }).optional(),
  /** `lvs_flush` / `lvs_flush_on_stop` */
  lvsFlush: z.boolean().default(false),
  lvsFlushOnStop: z.boolean().default(false),
  /** `notify_fifo`, `vrrp_notify_fifo`, `lvs_notify_fifo` paths (and their `_script`s). */
  notifyFifo: FilePath.optional(),
  notifyFifoScript: Command.optional(),
  vrrpNotifyFifo: FilePath.optional(),
  vrrpNotifyFifoScript: Command.optional(),
  lvsNotifyFifo: FilePath.optional(),
  lvsNotifyFifoScript: Command.optional(),
  /** `SSL {}` client context for SSL_GET. */
  ssl: SslContext.optional(),
});
export type GlobalSettings = z.infer<typeof GlobalSettings>;

/** Node-local settings of one director (defaults for all its instances). */
export const DirectorSettings = strict({
  /** `router_id` (default: host name). */
  routerId: z.string().min(1).max(255).optional(),
  /** Default `unicast_src_ip` for this director's unicast instances. */
  unicastSrcIp: IpAddress.optional(),
  /** Default `mcast_src_ip` for this director's multicast instances. */
  mcastSrcIp: IpAddress.optional(),
  /** `default_interface` for this director (overrides global). */
  defaultInterface: InterfaceName.optional(),
});
export type DirectorSettings = z.infer<typeof DirectorSettings>;
