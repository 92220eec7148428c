/**
 * Rules across instances of the cluster and across the clusters of a site.
 *
 * Segments: a multicast instance advertises on an L2 segment identified by
 * `instance.segment ?? <cluster segment>`, where the cluster segment is the one the caller
 * gives (`site.segment` for the cluster being checked, `site.clusters[i].segment` for the
 * others), defaulting to the cluster name. Two multicast instances collide when they share
 * segment, address family, multicast group and VRID (VRRP's virtual MAC is
 * 00-00-5E-00-01|02-{VRID}, RFC 5798 §7.3). Inside one cluster, instances without explicit
 * segments collide only if some director runs both on the same interface (eth0 and eth1 of a
 * box are normally different L2s). Unicast instances never collide (adverts are addressed).
 */
import type { ClusterSpec } from '../spec/cluster.ts';
import {
  effectiveInterface, effectiveMcastDstIp, effectiveVips, instanceFamily, instanceMembers, isUnicast, overrideOf,
} from '../spec/effective.ts';
import { canonicalIp } from '../spec/ip.ts';
import type { SpecIssue } from '../spec/parse.ts';
import type { VrrpInstance } from '../spec/vrrp-instance.ts';
import { fleetIssue } from './codes.ts';

/** The other clusters of the site (plus this cluster's own name/segment). */
export interface FleetSite {
  /** This cluster's name (messages; default segment when `segment` is unset). */
  cluster?: string;
  /** This cluster's L2 segment name (default: `cluster`). */
  segment?: string;
  /** The OTHER clusters of the same site. */
  clusters: Array<{ name: string; segment?: string; spec: ClusterSpec }>;
  /**
   * The whole site pre-indexed (buildSiteIndex), for checking many clusters of one site without
   * rescanning every other cluster each time; entries of `cluster` itself are ignored. When
   * set, `clusters` is not read.
   */
  index?: SiteIndex;
}

/** Who uses each multicast segment key and each VIP across a site: "cluster/instance". */
export interface SiteIndex {
  segments: Map<string, string[]>;
  vips: Map<string, string[]>;
}

/** Indexes every cluster of a site once (O(instances)); see FleetSite.index. */
export function buildSiteIndex(clusters: Array<{ name: string; segment?: string; spec: ClusterSpec }>): SiteIndex {
  const segments = new Map<string, string[]>();
  const vips = new Map<string, string[]>();
  const push = (m: Map<string, string[]>, k: string, v: string) => {
    const list = m.get(k);
    if (list) { if (!list.includes(v)) list.push(v); } else m.set(k, [v]);
  };
  for (const c of clusters) {
    for (const [n, inst] of Object.entries(c.spec.vrrpInstances)) {
      if (!isUnicast(inst)) push(segments, segmentKey(c.spec, inst, c.segment ?? c.name), `${c.name}/${n}`);
      for (const loc of instanceVipLocations(n, inst)) push(vips, loc.ip, `${c.name}/${n}`);
    }
  }
  return { segments, vips };
}

/** The first owner in `list` that is not an instance of cluster `own`. */
const otherOwner = (list: string[] | undefined, own: string | undefined) => list?.find((o) => own === undefined || !o.startsWith(`${own}/`));

interface VipLocation { ip: string; path: (string | number)[] }

/** Every VIP (advertised, per-director overrides, excluded) of an instance, first location per address. */
export function instanceVipLocations(name: string, inst: VrrpInstance): VipLocation[] {
  const out = new Map<string, VipLocation>();
  const add = (list: { address: string }[], path: (string | number)[]) => list.forEach((v, i) => {
    const ip = canonicalIp(v.address);
    if (!out.has(ip)) out.set(ip, { ip, path: [...path, i, 'address'] });
  });
  add(inst.virtualIpAddresses, ['vrrpInstances', name, 'virtualIpAddresses']);
  for (const [d, ov] of Object.entries(inst.directors)) {
    if (ov.virtualIpAddresses) add(ov.virtualIpAddresses, ['vrrpInstances', name, 'directors', d, 'virtualIpAddresses']);
  }
  add(inst.virtualIpAddressesExcluded, ['vrrpInstances', name, 'virtualIpAddressesExcluded']);
  return [...out.values()];
}

function segmentKey(spec: ClusterSpec, inst: VrrpInstance, clusterSegment: string): string {
  return [inst.segment ?? clusterSegment, instanceFamily(inst), canonicalIp(effectiveMcastDstIp(spec.global, inst)), inst.virtualRouterId].join('|');
}

function sharesInterface(spec: ClusterSpec, a: VrrpInstance, b: VrrpInstance): boolean {
  const bMembers = new Set(instanceMembers(spec, b));
  return instanceMembers(spec, a).some((d) => bMembers.has(d) && effectiveInterface(spec, a, d) === effectiveInterface(spec, b, d));
}

function checkVrids(issues: SpecIssue[], spec: ClusterSpec, ownSegment: string, site: FleetSite | undefined): void {
  const shownSegment = (inst: VrrpInstance) => inst.segment ?? site?.segment ?? site?.cluster ?? 'of this cluster';
  const multicast = Object.entries(spec.vrrpInstances).filter(([, i]) => !isUnicast(i));
  // Inside the cluster.
  multicast.forEach(([name, inst], idx) => {
    for (const [otherName, other] of multicast.slice(0, idx)) {
      if (segmentKey(spec, inst, ownSegment) !== segmentKey(spec, other, ownSegment)) continue;
      const explicit = inst.segment !== undefined && other.segment !== undefined;
      if (!explicit && !sharesInterface(spec, inst, other)) continue;
      issues.push(fleetIssue('FLEET_VRID_CONFLICT_ON_SEGMENT', ['vrrpInstances', name, 'virtualRouterId'],
        `instances ${otherName} and ${name} both use VRID ${inst.virtualRouterId} on segment ${shownSegment(inst)}`));
      break;
    }
  });
  // Across the site.
  const taken = new Map<string, string>();
  if (!site?.index) {
    for (const c of site?.clusters ?? []) {
      for (const [n, inst] of Object.entries(c.spec.vrrpInstances)) {
        if (!isUnicast(inst)) taken.set(segmentKey(c.spec, inst, c.segment ?? c.name), `${c.name}/${n}`);
      }
    }
  }
  for (const [name, inst] of multicast) {
    const key = segmentKey(spec, inst, ownSegment);
    const owner = site?.index ? otherOwner(site.index.segments.get(key), site.cluster) : taken.get(key);
    if (owner) {
      issues.push(fleetIssue('FLEET_VRID_CONFLICT_ON_SEGMENT', ['vrrpInstances', name, 'virtualRouterId'],
        `instance ${name} uses VRID ${inst.virtualRouterId} on segment ${shownSegment(inst)}, already used there by ${owner}`));
    }
  }
}

function checkVips(issues: SpecIssue[], spec: ClusterSpec, site: FleetSite | undefined): void {
  const ownerInCluster = new Map<string, string>();
  for (const [name, inst] of Object.entries(spec.vrrpInstances)) {
    for (const loc of instanceVipLocations(name, inst)) {
      const other = ownerInCluster.get(loc.ip);
      if (other) issues.push(fleetIssue('FLEET_VIP_IN_TWO_INSTANCES', loc.path, `VIP ${loc.ip} is in instances ${other} and ${name}`));
      else ownerInCluster.set(loc.ip, name);
    }
  }
  const elsewhere = new Map<string, string>();
  if (!site?.index) {
    for (const c of site?.clusters ?? []) {
      for (const [n, inst] of Object.entries(c.spec.vrrpInstances)) {
        for (const loc of instanceVipLocations(n, inst)) if (!elsewhere.has(loc.ip)) elsewhere.set(loc.ip, `${c.name}/${n}`);
      }
    }
    if (elsewhere.size === 0) return;
  }
  for (const [name, inst] of Object.entries(spec.vrrpInstances)) {
    for (const loc of instanceVipLocations(name, inst)) {
      const owner = site?.index ? otherOwner(site.index.vips.get(loc.ip), site.cluster) : elsewhere.get(loc.ip);
      if (owner) issues.push(fleetIssue('FLEET_VIP_IN_TWO_CLUSTERS', loc.path, `VIP ${loc.ip} of instance ${name} is also held by ${owner}`));
    }
  }
}

function checkVirtualServers(issues: SpecIssue[], spec: ClusterSpec): void {
  const seen = new Map<string, number>();
  const vips = new Set<string>();
  for (const inst of Object.values(spec.vrrpInstances)) {
    for (const d of Object.keys(spec.directors)) for (const v of effectiveVips(inst, overrideOf(inst, d))) vips.add(canonicalIp(v.address));
    for (const v of [...inst.virtualIpAddresses, ...inst.virtualIpAddressesExcluded]) vips.add(canonicalIp(v.address));
  }
  spec.virtualServers.forEach((vs, i) => {
    const key = vs.address !== undefined ? `${canonicalIp(vs.address)}|${vs.port ?? 0}|${vs.protocol}`
      : vs.fwmark !== undefined ? `fwmark|${vs.fwmark}|${vs.ipFamily ?? 'inet'}` : `group|${vs.group}|${vs.protocol}`;
    const first = seen.get(key);
    if (first !== undefined) {
      issues.push(fleetIssue('FLEET_DUPLICATE_VIRTUAL_SERVER', ['virtualServers', i], `virtual servers ${first} and ${i} are the same service (${key.replaceAll('|', ' ')})`));
    } else {
      seen.set(key, i);
    }
    if (vs.address !== undefined && Object.keys(spec.vrrpInstances).length > 0 && !vips.has(canonicalIp(vs.address))) {
      issues.push(fleetIssue('FLEET_VS_ADDRESS_NOT_VIP', ['virtualServers', i, 'address'], `virtual server address ${vs.address} is not a VIP of any instance`));
    }
  });
}

/** VRID-per-segment, VIP uniqueness and virtual-server rules. */
export function checkSiteRules(spec: ClusterSpec, site?: FleetSite): SpecIssue[] {
  const issues: SpecIssue[] = [];
  // Unnamed cluster: a segment name no other cluster can have by default.
  const ownSegment = site?.segment ?? site?.cluster ?? '\u0000this-cluster';
  checkVrids(issues, spec, ownSegment, site);
  checkVips(issues, spec, site);
  checkVirtualServers(issues, spec);
  return issues;
}
