/**
 * The effective configuration of ONE director: every instance it runs with its overrides
 * merged and every inherited default filled in. The agent runs from this, never from the raw
 * spec, so "what does lb2 actually do" has one answer shared by agent, CLI and control plane.
 *
 * Call it on a spec that passed `validateClusterSpec`; on an unvalidated spec unknown tracked
 * objects resolve with weight 0 (FAULT on failure, the safe reading).
 */
import type { ClusterSpec } from './cluster.ts';
import {
  effectiveAdvertIntervalMs, effectiveInterface, effectiveMcastDstIp, effectiveUnicastSrcIp, effectiveVersion,
  effectiveVips, instanceFamily, instanceMembers, isUnicast, overrideOf,
} from './effective.ts';
import type { GlobalSettings } from './global.ts';
import { canonicalIp, type IpFamily } from './ip.ts';
import { own } from './primitives.ts';
import type { NotifyHooks, SyncGroup } from './tracking.ts';
import type {
  UnicastPeer, VirtualIpAddress, VirtualRoute, VrrpAuth, VrrpInstance, VrrpStartState, VrrpVersion,
} from './vrrp-instance.ts';

/** A tracked object reference with the weight/reverse that apply (ref's, else the object's). */
export interface ResolvedTrack { name: string; weight: number; reverse: boolean }
export interface ResolvedTrackInterface { interface: string; weight: number; reverse: boolean }

/** GARP timing with instance values merged over global ones (all set). */
export interface ResolvedGarp {
  masterDelayMs: number; masterRepeat: number; masterRefreshMs: number; masterRefreshRepeat: number;
  lowerPrioDelayMs: number; lowerPrioRepeat: number; intervalMs: number; gnaIntervalMs: number; minGarp: boolean;
}

export type ResolvedTransport =
  | { kind: 'multicast'; dstIp: string; srcIp?: string }
  | { kind: 'unicast'; srcIp?: string; peers: UnicastPeer[]; ttl?: number };

/** One instance as this director runs it. */
export interface ResolvedVrrpInstance {
  name: string;
  family: IpFamily;
  /** Undefined only for a unicast instance with no interface anywhere (keepalived allows it). */
  interface: string | undefined;
  virtualRouterId: number;
  version: VrrpVersion;
  advertIntervalMs: number;
  priority: number;
  state: VrrpStartState;
  nopreempt: boolean;
  preemptDelayMs: number;
  /** Accept_Mode (RFC 5798 §6.1): explicit, else !strict, and always true for the owner (255). */
  accept: boolean;
  strictMode: boolean;
  /** `skip_check_adv_addr`, instance else global. */
  skipCheckAdvAddr: boolean;
  /** `lower_prio_no_advert`, instance else strict_mode else global. */
  lowerPrioNoAdvert: boolean;
  /** `higher_prio_send_advert`, instance else global. */
  higherPrioSendAdvert: boolean;
  /** `v3_checksum_as_v2`, instance else global (meaningful for VRRPv3 over IPv4 only). */
  v3ChecksumAsV2: boolean;
  auth: VrrpAuth | undefined;
  virtualIpAddresses: VirtualIpAddress[];
  virtualIpAddressesExcluded: VirtualIpAddress[];
  noVirtualIpAddress: boolean;
  virtualRoutes: VirtualRoute[];
  transport: ResolvedTransport;
  garp: ResolvedGarp;
  trackInterfaces: ResolvedTrackInterface[];
  trackScripts: ResolvedTrack[];
  trackFiles: ResolvedTrack[];
  trackProcesses: ResolvedTrack[];
  dontTrackPrimary: boolean;
  notify: NotifyHooks | undefined;
  notifyPriorityChanges: boolean;
  promoteSecondaries: boolean;
  useVmac: boolean | string;
  vmacXmitBase: boolean;
  /** The sync group this instance belongs to, if any. */
  syncGroup: string | undefined;
  /** The other directors running this instance. */
  peerDirectors: string[];
}

export interface ResolvedDirectorConfig {
  director: string;
  /** `router_id` (undefined = the host name, keepalived's default). */
  routerId: string | undefined;
  global: GlobalSettings;
  instances: Record<string, ResolvedVrrpInstance>;
  /** Sync groups with at least one local instance; `group` lists only the local ones. */
  syncGroups: Record<string, SyncGroup>;
  vrrpScripts: ClusterSpec['vrrpScripts'];
  trackFiles: ClusterSpec['trackFiles'];
  trackProcesses: ClusterSpec['trackProcesses'];
  virtualServerGroups: ClusterSpec['virtualServerGroups'];
  virtualServers: ClusterSpec['virtualServers'];
}

/** Thrown by `resolveDirectorConfig` for a director the spec does not name. */
export class UnknownDirectorError extends Error {
  readonly code = 'RESOLVE_UNKNOWN_DIRECTOR';
  constructor(readonly director: string, readonly known: string[]) {
    super(`director "${director}" is not in this cluster spec (directors: ${known.length ? known.join(', ') : 'none'}); add it under "directors" or run the agent with the right name`);
    this.name = 'UnknownDirectorError';
  }
}

function resolveTracks(refs: VrrpInstance['trackScripts'], objects: Record<string, { weight: number; reverse: boolean }>): ResolvedTrack[] {
  return refs.map((r) => ({ name: r.name, weight: r.weight ?? own(objects, r.name)?.weight ?? 0, reverse: r.reverse ?? own(objects, r.name)?.reverse ?? false }));
}

function resolveGarp(global: GlobalSettings, inst: VrrpInstance): ResolvedGarp {
  const g = global.garp;
  const i = inst.garp ?? {};
  const masterDelayMs = i.masterDelayMs ?? g.masterDelayMs;
  const masterRepeat = i.masterRepeat ?? g.masterRepeat;
  return {
    masterDelayMs,
    masterRepeat,
    masterRefreshMs: i.masterRefreshMs ?? g.masterRefreshMs,
    masterRefreshRepeat: i.masterRefreshRepeat ?? g.masterRefreshRepeat,
    lowerPrioDelayMs: i.lowerPrioDelayMs ?? g.lowerPrioDelayMs ?? masterDelayMs,
    lowerPrioRepeat: i.lowerPrioRepeat ?? g.lowerPrioRepeat ?? masterRepeat,
    intervalMs: g.intervalMs,
    gnaIntervalMs: g.gnaIntervalMs,
    minGarp: g.minGarp,
  };
}

/** Resolves one instance for one member director. */
export function resolveInstance(spec: ClusterSpec, name: string, director: string): ResolvedVrrpInstance {
  const inst = own(spec.vrrpInstances, name);
  if (!inst) throw new Error(`unknown vrrp instance "${name}"`);
  const ov = overrideOf(inst, director);
  const priority = ov.priority ?? inst.priority;
  const strictMode = inst.strictMode ?? spec.global.vrrpStrict;
  const srcIp = effectiveUnicastSrcIp(spec, inst, director);
  const transport: ResolvedTransport = isUnicast(inst)
    ? {
      kind: 'unicast',
      ...(srcIp ? { srcIp } : {}),
      // Every member is listed cluster-wide; a director never sends to itself.
      peers: inst.unicastPeers.filter((p) => !srcIp || canonicalIp(p.address) !== canonicalIp(srcIp)),
      ...(inst.unicastTtl !== undefined ? { ttl: inst.unicastTtl } : {}),
    }
    : (() => {
      const mcastSrc = ov.mcastSrcIp ?? own(spec.directors, director)?.mcastSrcIp;
      return { kind: 'multicast', dstIp: effectiveMcastDstIp(spec.global, inst, ov), ...(mcastSrc ? { srcIp: mcastSrc } : {}) };
    })();
  const syncGroup = Object.entries(spec.syncGroups).find(([, g]) => g.group.includes(name))?.[0];
  return {
    name,
    family: instanceFamily(inst, ov),
    interface: effectiveInterface(spec, inst, director),
    virtualRouterId: ov.virtualRouterId ?? inst.virtualRouterId,
    version: effectiveVersion(spec.global, inst, ov),
    advertIntervalMs: effectiveAdvertIntervalMs(inst, ov),
    priority,
    state: ov.state ?? inst.state,
    nopreempt: ov.nopreempt ?? inst.nopreempt,
    preemptDelayMs: ov.preemptDelayMs ?? inst.preemptDelayMs,
    accept: priority === 255 || (inst.accept ?? !strictMode),
    strictMode,
    skipCheckAdvAddr: inst.skipCheckAdvAddr ?? spec.global.vrrpSkipCheckAdvAddr,
    // keepalived (vrrp_complete_instance): strict mode implies lower_prio_no_advert.
    lowerPrioNoAdvert: inst.lowerPrioNoAdvert ?? (strictMode || spec.global.lowerPrioNoAdvert),
    higherPrioSendAdvert: inst.higherPrioSendAdvert ?? spec.global.higherPrioSendAdvert,
    v3ChecksumAsV2: inst.v3ChecksumAsV2 ?? spec.global.v3ChecksumAsV2,
    auth: ov.auth ?? inst.auth,
    virtualIpAddresses: effectiveVips(inst, ov),
    virtualIpAddressesExcluded: inst.virtualIpAddressesExcluded,
    noVirtualIpAddress: inst.noVirtualIpAddress,
    virtualRoutes: inst.virtualRoutes,
    transport,
    garp: resolveGarp(spec.global, inst),
    trackInterfaces: (ov.trackInterfaces ?? inst.trackInterfaces).map((t) => ({ interface: t.interface, weight: t.weight, reverse: t.reverse })),
    trackScripts: resolveTracks(inst.trackScripts, spec.vrrpScripts),
    trackFiles: resolveTracks(inst.trackFiles, spec.trackFiles),
    trackProcesses: resolveTracks(inst.trackProcesses, spec.trackProcesses),
    dontTrackPrimary: inst.dontTrackPrimary,
    notify: inst.notify,
    notifyPriorityChanges: inst.notifyPriorityChanges,
    promoteSecondaries: inst.promoteSecondaries,
    useVmac: inst.useVmac,
    vmacXmitBase: inst.vmacXmitBase,
    syncGroup,
    peerDirectors: instanceMembers(spec, inst).filter((d) => d !== director),
  };
}

/**
 * The effective per-director view of a cluster spec. Throws `UnknownDirectorError` if
 * `director` is not a key of `spec.directors`.
 */
export function resolveDirectorConfig(spec: ClusterSpec, director: string): ResolvedDirectorConfig {
  const settings = own(spec.directors, director);
  if (!settings) throw new UnknownDirectorError(director, Object.keys(spec.directors).sort());
  const instances: Record<string, ResolvedVrrpInstance> = {};
  for (const [name, inst] of Object.entries(spec.vrrpInstances)) {
    if (instanceMembers(spec, inst).includes(director)) instances[name] = resolveInstance(spec, name, director);
  }
  const syncGroups: Record<string, SyncGroup> = {};
  for (const [name, group] of Object.entries(spec.syncGroups)) {
    const local = group.group.filter((i) => Object.hasOwn(instances, i));
    if (local.length > 0) syncGroups[name] = { ...group, group: local };
  }
  return {
    director,
    routerId: settings.routerId,
    global: spec.global,
    instances,
    syncGroups,
    vrrpScripts: spec.vrrpScripts,
    trackFiles: spec.trackFiles,
    trackProcesses: spec.trackProcesses,
    virtualServerGroups: spec.virtualServerGroups,
    virtualServers: spec.virtualServers,
  };
}
