/**
 * Rules about names that point at other objects of the spec (directors, instances, tracked
 * objects, groups) and about unicast peer lists, which point at directors by address.
 */
import type { ClusterSpec } from '../spec/cluster.ts';
import { effectiveUnicastSrcIp, instanceMembers, isUnicast } from '../spec/effective.ts';
import { canonicalIp } from '../spec/ip.ts';
import { own } from '../spec/primitives.ts';
import type { SpecIssue } from '../spec/parse.ts';
import type { TrackRef } from '../spec/tracking.ts';
import { fleetIssue, type FleetCode } from './codes.ts';

function checkTrackRefs(
  issues: SpecIssue[], spec: ClusterSpec, base: (string | number)[], owner: string,
  refs: { trackScripts: TrackRef[]; trackFiles: TrackRef[]; trackProcesses: TrackRef[] },
): void {
  const kinds: [keyof typeof refs, Record<string, unknown>, FleetCode, string][] = [
    ['trackScripts', spec.vrrpScripts, 'FLEET_UNKNOWN_TRACK_SCRIPT', 'vrrp_script'],
    ['trackFiles', spec.trackFiles, 'FLEET_UNKNOWN_TRACK_FILE', 'track_file'],
    ['trackProcesses', spec.trackProcesses, 'FLEET_UNKNOWN_TRACK_PROCESS', 'vrrp_track_process'],
  ];
  for (const [field, defined, code, kw] of kinds) {
    refs[field].forEach((ref, i) => {
      if (!Object.hasOwn(defined, ref.name)) {
        const known = Object.keys(defined);
        issues.push(fleetIssue(code, [...base, field, i, 'name'],
          `${owner} tracks ${kw} "${ref.name}", which is not defined${known.length ? ` (defined: ${known.join(', ')})` : ''}`));
      }
    });
  }
}

function checkDirectorRefs(issues: SpecIssue[], spec: ClusterSpec): void {
  if (Object.keys(spec.directors).length === 0 && Object.keys(spec.vrrpInstances).length > 0) {
    issues.push(fleetIssue('FLEET_NO_DIRECTORS', ['directors'], 'the spec has VRRP instances but no directors to run them'));
  }
  for (const [name, inst] of Object.entries(spec.vrrpInstances)) {
    inst.members?.forEach((d, i) => {
      if (!Object.hasOwn(spec.directors, d)) {
        issues.push(fleetIssue('FLEET_UNKNOWN_DIRECTOR', ['vrrpInstances', name, 'members', i], `instance ${name} lists member "${d}", which is not under "directors"`));
      }
    });
    const members = instanceMembers(spec, inst);
    for (const d of Object.keys(inst.directors)) {
      if (!Object.hasOwn(spec.directors, d)) {
        issues.push(fleetIssue('FLEET_UNKNOWN_DIRECTOR', ['vrrpInstances', name, 'directors', d], `instance ${name} has an override for "${d}", which is not under "directors"`));
      } else if (!members.includes(d)) {
        issues.push(fleetIssue('FLEET_OVERRIDE_NOT_MEMBER', ['vrrpInstances', name, 'directors', d], `instance ${name} has an override for ${d}, which is not one of its members (${members.join(', ')})`));
      }
    }
  }
}

function checkSyncGroups(issues: SpecIssue[], spec: ClusterSpec): void {
  const groupOf = new Map<string, string>();
  for (const [g, group] of Object.entries(spec.syncGroups)) {
    if (group.group.length === 1) {
      issues.push(fleetIssue('FLEET_SYNC_GROUP_SINGLE', ['syncGroups', g, 'group'], `sync group ${g} has only one instance (${group.group[0]})`));
    }
    let firstMembers: string | undefined;
    group.group.forEach((name, i) => {
      const inst = own(spec.vrrpInstances, name);
      if (!inst) {
        issues.push(fleetIssue('FLEET_SYNC_GROUP_UNKNOWN_INSTANCE', ['syncGroups', g, 'group', i],
          `sync group ${g} names instance "${name}", which is not defined (instances: ${Object.keys(spec.vrrpInstances).join(', ') || 'none'})`));
        return;
      }
      const other = groupOf.get(name);
      if (other !== undefined) {
        issues.push(fleetIssue('FLEET_SYNC_GROUP_OVERLAP', ['syncGroups', g, 'group', i], `instance ${name} is in sync groups ${other} and ${g}`));
      } else {
        groupOf.set(name, g);
      }
      const members = instanceMembers(spec, inst).join(', ');
      if (firstMembers === undefined) firstMembers = members;
      else if (members !== firstMembers) {
        issues.push(fleetIssue('FLEET_SYNC_GROUP_MEMBERS_DIFFER', ['syncGroups', g, 'group', i],
          `sync group ${g}: instance ${name} runs on ${members} but ${group.group[0]} runs on ${firstMembers}`));
      }
    });
    checkTrackRefs(issues, spec, ['syncGroups', g], `sync group ${g}`, group);
    if (!group.trackingWeight) for (const name of group.group) checkMemberWeights(issues, spec, g, name);
  }
}

/**
 * keepalived drops a tracker with a non-zero weight from a sync group member ("ignoring tracked
 * script X with weights due to SYNC group") unless the group has sync_group_tracking_weight:
 * a member's priority change alone would split the group. Vigil does the same; say so.
 */
function checkMemberWeights(issues: SpecIssue[], spec: ClusterSpec, g: string, name: string): void {
  const inst = own(spec.vrrpInstances, name);
  if (!inst) return;
  const path = ['vrrpInstances', name];
  const warn = (kind: string, i: number, ref: string, weight: number) =>
    issues.push(fleetIssue('FLEET_SYNC_GROUP_TRACKER_WEIGHT_IGNORED', [...path, kind, i],
      `${name} is in sync group ${g}: its ${kind === 'trackInterfaces' ? 'track_interface' : kind === 'trackScripts' ? 'track_script' : kind === 'trackFiles' ? 'track_file' : 'track_process'} ${ref} has weight ${weight} and is ignored`));
  (inst.trackInterfaces ?? []).forEach((t, i) => { if (t.weight !== 0) warn('trackInterfaces', i, t.interface, t.weight); });
  inst.trackScripts.forEach((t, i) => { const w = t.weight ?? own(spec.vrrpScripts, t.name)?.weight ?? 0; if (w !== 0) warn('trackScripts', i, t.name, w); });
  inst.trackProcesses.forEach((t, i) => { const w = t.weight ?? own(spec.trackProcesses, t.name)?.weight ?? 0; if (w !== 0) warn('trackProcesses', i, t.name, w); });
  inst.trackFiles.forEach((t, i) => { const w = t.weight ?? own(spec.trackFiles, t.name)?.weight ?? 1; if (w !== 0) warn('trackFiles', i, t.name, w); });
}

/**
 * Vigil drops a unicast advert whose TTL / hop limit is not 255 unless the sender's
 * unicast_peer line allows a range (agent/src/vrrp/RECEIVE.md): say so before it splits the
 * cluster. keepalived itself checks no TTL on unicast, so its configs never had to.
 */
function checkUnicastTtl(issues: SpecIssue[], name: string, inst: ClusterSpec['vrrpInstances'][string]): void {
  const base = ['vrrpInstances', name, 'unicastPeers'];
  const open: string[] = [];
  inst.unicastPeers.forEach((p, i) => {
    if (p.minTtl === undefined && p.maxTtl === undefined) {
      open.push(p.address);
      return;
    }
    const min = p.minTtl ?? 0;
    const max = p.maxTtl ?? 255;
    if (min > max) {
      issues.push(fleetIssue('FLEET_UNICAST_TTL_RANGE_EMPTY', [...base, i, 'minTtl'], `instance ${name}: unicast peer ${p.address} has min_ttl ${min} above max_ttl ${max}`));
    } else if (inst.unicastTtl !== undefined && inst.unicastTtl < min) {
      issues.push(fleetIssue('FLEET_UNICAST_TTL_DROPPED', [...base, i, 'minTtl'],
        `instance ${name}: adverts are sent with unicast_ttl ${inst.unicastTtl}, but those from ${p.address} are accepted only with TTL ${min}..${max}`));
    }
  });
  if (open.length === 0) return;
  if (inst.unicastTtl !== undefined && inst.unicastTtl < 255) {
    issues.push(fleetIssue('FLEET_UNICAST_TTL_DROPPED', ['vrrpInstances', name, 'unicastTtl'],
      `instance ${name}: adverts are sent with unicast_ttl ${inst.unicastTtl}, but those from ${open.join(', ')} are accepted only with TTL 255 (no min_ttl/max_ttl)`));
  } else if (inst.unicastTtl === undefined && open.some((a) => a.includes(':'))) {
    issues.push(fleetIssue('FLEET_UNICAST_IPV6_HOP_LIMIT', base, `instance ${name} is IPv6 unicast without unicast_ttl: keepalived peers would send hop limit 64, which Vigil drops`));
  }
}

function checkUnicast(issues: SpecIssue[], spec: ClusterSpec): void {
  for (const [name, inst] of Object.entries(spec.vrrpInstances)) {
    if (!isUnicast(inst)) continue;
    checkUnicastTtl(issues, name, inst);
    const members = instanceMembers(spec, inst).filter((d) => Object.hasOwn(spec.directors, d));
    const srcOf = new Map(members.map((d) => [d, effectiveUnicastSrcIp(spec, inst, d)]));
    const unknown = members.filter((d) => srcOf.get(d) === undefined);
    for (const d of unknown) {
      issues.push(fleetIssue('FLEET_UNICAST_SRC_UNKNOWN', ['directors', d, 'unicastSrcIp'], `instance ${name} is unicast but director ${d} has no unicastSrcIp; its peer list cannot be checked`));
    }
    // Without every member's address a stray peer may be that member's interface address.
    if (unknown.length > 0) continue;
    const memberIps = new Map([...srcOf].map(([d, ip]) => [canonicalIp(ip!), d]));
    const peerIps = new Set(inst.unicastPeers.map((p) => canonicalIp(p.address)));
    inst.unicastPeers.forEach((p, i) => {
      if (!memberIps.has(canonicalIp(p.address))) {
        issues.push(fleetIssue('FLEET_UNICAST_PEER_NOT_MEMBER', ['vrrpInstances', name, 'unicastPeers', i, 'address'],
          `instance ${name}: unicast peer ${p.address} is not the unicastSrcIp of any member (${[...srcOf].map(([d, ip]) => `${d}=${ip}`).join(', ')})`));
      }
    });
    for (const [d, ip] of srcOf) {
      if (!peerIps.has(canonicalIp(ip!))) {
        issues.push(fleetIssue('FLEET_UNICAST_MEMBER_NOT_PEER', ['vrrpInstances', name, 'unicastPeers'],
          `instance ${name}: member ${d} (${ip}) is not in unicastPeers, so no peer sends it adverts`));
      }
    }
  }
}

function checkLvsRefs(issues: SpecIssue[], spec: ClusterSpec): void {
  const syncInst = spec.global.lvsSyncDaemon?.instance;
  if (syncInst !== undefined && !Object.hasOwn(spec.vrrpInstances, syncInst)) {
    issues.push(fleetIssue('FLEET_UNKNOWN_INSTANCE', ['global', 'lvsSyncDaemon', 'instance'], `lvs_sync_daemon follows instance "${syncInst}", which is not defined`));
  }
  spec.virtualServers.forEach((vs, i) => {
    if (vs.group !== undefined && !Object.hasOwn(spec.virtualServerGroups, vs.group)) {
      issues.push(fleetIssue('FLEET_UNKNOWN_VS_GROUP', ['virtualServers', i, 'group'], `virtual server ${i} uses group "${vs.group}", which is not defined`));
    }
    vs.realServers.forEach((rs, j) => {
      rs.checkers.forEach((c, k) => {
        if (c.type === 'FILE_CHECK' && !Object.hasOwn(spec.trackFiles, c.trackFile)) {
          issues.push(fleetIssue('FLEET_UNKNOWN_TRACK_FILE', ['virtualServers', i, 'realServers', j, 'checkers', k, 'trackFile'],
            `FILE_CHECK of real server ${rs.address} uses track_file "${c.trackFile}", which is not defined`));
        }
      });
    });
  });
}

/** Name references and unicast peer lists. */
export function checkReferenceRules(spec: ClusterSpec): SpecIssue[] {
  const issues: SpecIssue[] = [];
  checkDirectorRefs(issues, spec);
  for (const [name, inst] of Object.entries(spec.vrrpInstances)) {
    checkTrackRefs(issues, spec, ['vrrpInstances', name], `instance ${name}`, inst);
  }
  checkSyncGroups(issues, spec);
  checkUnicast(issues, spec);
  checkLvsRefs(issues, spec);
  return issues;
}
