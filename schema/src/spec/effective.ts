/**
 * Effective values of one instance on one director: the override if set, else the instance
 * value, else the global/keepalived default. Shared by `resolveDirectorConfig`, the shape's
 * cross-field checks and the fleet rules, so all three agree on what a director will run.
 *
 * Structural parameter types (not `ClusterSpec`) keep this module free of import cycles.
 */
import { ipFamily, type IpFamily } from './ip.ts';
import { own } from './primitives.ts';
import type { GlobalSettings, DirectorSettings } from './global.ts';
import type { InstanceDirectorOverride, VirtualIpAddress, VrrpInstance, VrrpVersion } from './vrrp-instance.ts';

interface SpecLike {
  global: GlobalSettings;
  directors: Record<string, DirectorSettings>;
}

/** Directors running the instance: `members`, else every director of the spec (sorted). */
export function instanceMembers(spec: SpecLike, instance: VrrpInstance): string[] {
  return instance.members ? [...instance.members] : Object.keys(spec.directors).sort();
}

/** The override of `director`, or an empty one. */
export function overrideOf(instance: VrrpInstance, director: string): InstanceDirectorOverride {
  return own(instance.directors, director) ?? {};
}

/** The VIPs carried in adverts for this director (override replaces the whole list). */
export function effectiveVips(instance: VrrpInstance, override: InstanceDirectorOverride): VirtualIpAddress[] {
  return override.virtualIpAddresses ?? instance.virtualIpAddresses;
}

/**
 * Address family of the instance: that of its first advertised VIP; an instance without VIPs
 * is IPv4 unless its unicast peers or mcast_dst_ip are IPv6 (keepalived's rule).
 */
export function instanceFamily(instance: VrrpInstance, override: InstanceDirectorOverride = {}): IpFamily {
  const first = effectiveVips(instance, override)[0];
  if (first) return ipFamily(first.address) ?? 'inet';
  const peer = instance.unicastPeers[0]?.address ?? instance.mcastDstIp ?? override.unicastSrcIp;
  return (peer && ipFamily(peer)) || 'inet';
}

/** True when the version was written (instance or override), not inherited from global. */
export function versionIsExplicit(instance: VrrpInstance, override: InstanceDirectorOverride): boolean {
  return override.version !== undefined || instance.version !== undefined;
}

/**
 * Effective VRRP version. Unset: global `vrrpVersion`, except IPv6, which is always 3
 * (RFC 5798 is the only VRRP for IPv6; keepalived upgrades silently).
 */
export function effectiveVersion(global: GlobalSettings, instance: VrrpInstance, override: InstanceDirectorOverride = {}): VrrpVersion {
  const explicit = override.version ?? instance.version;
  if (explicit !== undefined) return explicit;
  return instanceFamily(instance, override) === 'inet6' ? 3 : global.vrrpVersion;
}

/** Effective advert interval (ms). */
export function effectiveAdvertIntervalMs(instance: VrrpInstance, override: InstanceDirectorOverride = {}): number {
  return override.advertIntervalMs ?? instance.advertIntervalMs;
}

/**
 * Why an advert interval is invalid for a version, or undefined if valid.
 * v2 (RFC 3768 §5.3.7): 8-bit whole seconds 1..255. v3 (RFC 5798 §5.2.7): 12-bit centiseconds,
 * 10..40950 ms in 10 ms steps.
 */
export function advertIntervalProblem(version: VrrpVersion, advertIntervalMs: number): string | undefined {
  if (version === 2) {
    if (advertIntervalMs % 1000 !== 0 || advertIntervalMs < 1000 || advertIntervalMs > 255_000) {
      return `VRRPv2 advertises whole seconds 1..255 (RFC 3768 §5.3.7): ${advertIntervalMs} ms is not one; use a multiple of 1000 ms or version 3`;
    }
    return undefined;
  }
  if (advertIntervalMs % 10 !== 0 || advertIntervalMs < 10 || advertIntervalMs > 40_950) {
    return `VRRPv3 advertises centiseconds 1..4095 (RFC 5798 §5.2.7): ${advertIntervalMs} ms is not 10..40950 in steps of 10`;
  }
  return undefined;
}

/** Effective interface: override, instance, director default, global default. */
export function effectiveInterface(spec: SpecLike, instance: VrrpInstance, director: string): string | undefined {
  return overrideOf(instance, director).interface
    ?? instance.interface
    ?? own(spec.directors, director)?.defaultInterface
    ?? spec.global.defaultInterface;
}

/** Effective unicast source address: override, then director default. */
export function effectiveUnicastSrcIp(spec: SpecLike, instance: VrrpInstance, director: string): string | undefined {
  return overrideOf(instance, director).unicastSrcIp ?? own(spec.directors, director)?.unicastSrcIp;
}

/** True for a unicast instance (any `unicast_peer`). */
export function isUnicast(instance: VrrpInstance): boolean {
  return instance.unicastPeers.length > 0;
}

/** Effective multicast destination group for the instance's family. */
export function effectiveMcastDstIp(global: GlobalSettings, instance: VrrpInstance, override: InstanceDirectorOverride = {}): string {
  return instance.mcastDstIp ?? (instanceFamily(instance, override) === 'inet6' ? global.vrrpMcastGroup6 : global.vrrpMcastGroup4);
}
