/**
 * LVS: `virtual_server_group`, `virtual_server`, `real_server`. Defaults are keepalived's.
 */
import { z } from 'zod';
import { Checker, checkTimingFields } from './checkers.ts';
import { parseIp, parseIpPrefix } from './ip.ts';
import { Command, IpAddress, ObjectName, Port, WholeSecondsMs, strict } from './primitives.ts';

/** `lvs_sched` / `lb_algo` (keepalived and ipvsadm default: wlc). */
export const Scheduler = z.enum(['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'mh', 'fo', 'ovf', 'twos']);
export type Scheduler = z.infer<typeof Scheduler>;

/** Scheduler flags (`flag-1|2|3`, `sh-port`, `sh-fallback`, `mh-port`, `mh-fallback`, `ops`). */
export const SchedulerFlag = z.enum(['flag-1', 'flag-2', 'flag-3', 'sh-port', 'sh-fallback', 'mh-port', 'mh-fallback', 'ops']);
export type SchedulerFlag = z.infer<typeof SchedulerFlag>;

/** `lvs_method` / `lb_kind` (default NAT). */
export const LvsMethod = z.enum(['NAT', 'DR', 'TUN']);
export type LvsMethod = z.infer<typeof LvsMethod>;

/** `lvs_method TUN [type ipip|gue port N|gre] [nocsum|csum|remcsum]`. */
export const TunnelSettings = strict({
  type: z.enum(['ipip', 'gue', 'gre']).default('ipip'),
  /** GUE destination port (required for gue). */
  port: Port.optional(),
  checksum: z.enum(['nocsum', 'csum', 'remcsum']).optional(),
}).refine((t) => t.type !== 'gue' || t.port !== undefined, { message: 'tunnel type gue needs a port', path: ['port'], params: { specCode: 'SHAPE_TUNNEL_PORT' } });

export const Protocol = z.enum(['TCP', 'UDP', 'SCTP']);

/**
 * A `virtual_server_group` member: `IP [port]`, `IP-range [port]` (last octet/group range,
 * e.g. "10.0.0.1-10"), `CIDR [port]`, or `fwmark N [inet|inet6]`.
 */
export const VirtualServerGroupMember = z.union([
  strict({
    address: z.string().refine((s) => {
      const dash = s.lastIndexOf('-');
      if (dash > 0 && parseIp(s.slice(0, dash))) return /^[0-9a-fA-F]{1,4}$/.test(s.slice(dash + 1));
      return parseIpPrefix(s) !== undefined;
    }, { message: 'expected "IP", "IP/len" or "IP-last" (e.g. "10.0.0.1-10")' }),
    port: Port.optional(),
  }),
  strict({ fwmark: z.number().int().min(1).max(0xffffffff), family: z.enum(['inet', 'inet6']).optional() }),
]);
export type VirtualServerGroupMember = z.infer<typeof VirtualServerGroupMember>;

export const VirtualServerGroup = strict({ members: z.array(VirtualServerGroupMember).min(1) });
export type VirtualServerGroup = z.infer<typeof VirtualServerGroup>;

/** `sorry_server IP [port]`, `sorry_server_inhibit`, `sorry_server_lvs_method`. */
export const SorryServer = strict({
  address: IpAddress,
  port: Port.optional(),
  inhibit: z.boolean().default(false),
  method: LvsMethod.optional(),
});

/** `real_server IP [port] { ... }` */
export const RealServer = strict({
  address: IpAddress,
  /** Port (omit for fwmark services / DR without port translation). */
  port: Port.optional(),
  /** `weight` (default 1). */
  weight: z.number().int().min(0).max(0x7fffffff).default(1),
  /** `lvs_method` override for this real server. */
  method: LvsMethod.optional(),
  tunnel: TunnelSettings.optional(),
  /** `uthreshold` / `lthreshold` connection thresholds. */
  upperThreshold: z.number().int().min(0).optional(),
  lowerThreshold: z.number().int().min(0).optional(),
  /** `notify_up` / `notify_down` */
  notifyUp: Command.optional(),
  notifyDown: Command.optional(),
  /** `inhibit_on_failure` (weight 0 instead of removal; default: the virtual server's). */
  inhibitOnFailure: z.boolean().optional(),
  /** `virtualhost` for HTTP checks. */
  virtualhost: z.string().min(1).max(255).optional(),
  ...checkTimingFields,
  /** Health checkers; all must pass for the server to be up. None = always up. */
  checkers: z.array(Checker).default([]),
});
export type RealServer = z.infer<typeof RealServer>;

/**
 * `virtual_server IP port | fwmark N | group NAME { ... }`: exactly one of `address` (with
 * `port`, 0/omitted = all ports with persistence), `fwmark` or `group`.
 */
export const VirtualServer = strict({
  address: IpAddress.optional(),
  port: z.number().int().min(0).max(65535).optional(),
  fwmark: z.number().int().min(1).max(0xffffffff).optional(),
  /** A name of `virtualServerGroups`. */
  group: ObjectName.optional(),
  /** `protocol` (default TCP). */
  protocol: Protocol.default('TCP'),
  /** `ip_family inet|inet6` (fwmark/group services). */
  ipFamily: z.enum(['inet', 'inet6']).optional(),
  /** `lvs_sched` / `lb_algo` */
  scheduler: Scheduler.default('wlc'),
  schedulerFlags: z.array(SchedulerFlag).default([]),
  /** `lvs_method` / `lb_kind` */
  method: LvsMethod.default('NAT'),
  tunnel: TunnelSettings.optional(),
  /** `persistence_timeout` (whole seconds; 0/omitted = no persistence). */
  persistenceTimeoutMs: WholeSecondsMs.optional(),
  /** `persistence_granularity` netmask (IPv4 dotted mask or IPv6 prefix length). */
  persistenceGranularity: z.union([IpAddress, z.number().int().min(1).max(128)]).optional(),
  /** `persistence_engine sip` */
  persistenceEngine: z.literal('sip').optional(),
  /** `quorum` minimum total weight of live real servers (default 1). */
  quorum: z.number().int().min(0).default(1),
  /** `hysteresis` */
  hysteresis: z.number().int().min(0).default(0),
  /** `quorum_up` / `quorum_down` commands. */
  quorumUp: Command.optional(),
  quorumDown: Command.optional(),
  sorryServer: SorryServer.optional(),
  /** `inhibit_on_failure` default for real servers. */
  inhibitOnFailure: z.boolean().default(false),
  /** `omega`: run notifiers/quorum_down on shutdown. */
  omega: z.boolean().default(false),
  /** `ha_suspend`: suspend checks while the VIP is not on this director. */
  haSuspend: z.boolean().default(false),
  /** `virtualhost` default for HTTP checks. */
  virtualhost: z.string().min(1).max(255).optional(),
  ...checkTimingFields,
  realServers: z.array(RealServer).default([]),
}).superRefine((vs, ctx) => {
  const forms = [vs.address !== undefined, vs.fwmark !== undefined, vs.group !== undefined].filter(Boolean).length;
  if (forms !== 1) {
    ctx.addIssue({ code: 'custom', path: [], message: 'a virtual server is exactly one of { address, port }, { fwmark } or { group }', params: { specCode: 'SHAPE_VS_IDENTITY' } });
  }
  if (vs.address !== undefined && vs.port === undefined && !vs.persistenceTimeoutMs) {
    ctx.addIssue({ code: 'custom', path: ['port'], message: 'an address virtual server needs a port (port 0 = all ports requires persistence)', params: { specCode: 'SHAPE_VS_PORT' } });
  }
  if ((vs.method === 'TUN') !== (vs.tunnel !== undefined) && vs.tunnel !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['tunnel'], message: 'tunnel settings only apply to method TUN', params: { specCode: 'SHAPE_TUNNEL_WITHOUT_TUN' } });
  }
});
export type VirtualServer = z.infer<typeof VirtualServer>;
