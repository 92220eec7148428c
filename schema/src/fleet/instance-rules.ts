/**
 * Rules over the members of each VRRP instance: they must advertise the same thing, and the
 * election they hold must have one intended winner.
 */
import type { ClusterSpec } from '../spec/cluster.ts';
import {
  effectiveAdvertIntervalMs, effectiveInterface, effectiveVersion, effectiveVips, instanceMembers, isUnicast, overrideOf, versionIsExplicit,
} from '../spec/effective.ts';
import { canonicalIp, ipFamily } from '../spec/ip.ts';
import type { SpecIssue } from '../spec/parse.ts';
import type { InstanceDirectorOverride, VrrpInstance } from '../spec/vrrp-instance.ts';
import { fleetIssue, type FleetCode } from './codes.ts';

type OverridableField = keyof InstanceDirectorOverride & keyof VrrpInstance;

/** Path of the value `director` uses: its override if it sets `field`, else the instance's. */
export function fieldPath(name: string, inst: VrrpInstance, director: string, field: OverridableField): (string | number)[] {
  return overrideOf(inst, director)[field] !== undefined
    ? ['vrrpInstances', name, 'directors', director, field]
    : ['vrrpInstances', name, field];
}

interface Agreement {
  code: FleetCode;
  field: OverridableField;
  label: string;
  value: (inst: VrrpInstance, ov: InstanceDirectorOverride) => string;
}

const AGREEMENTS: Agreement[] = [
  { code: 'FLEET_VRID_MISMATCH', field: 'virtualRouterId', label: 'virtual_router_id', value: (i, o) => String(o.virtualRouterId ?? i.virtualRouterId) },
  { code: 'FLEET_ADVERT_INT_MISMATCH', field: 'advertIntervalMs', label: 'advert interval (ms)', value: (i, o) => String(effectiveAdvertIntervalMs(i, o)) },
  { code: 'FLEET_AUTH_MISMATCH', field: 'auth', label: 'authentication', value: (i, o) => { const a = o.auth ?? i.auth; return a ? `${a.type}/${a.password}` : 'none'; } },
  { code: 'FLEET_VIP_SET_MISMATCH', field: 'virtualIpAddresses', label: 'VIP set', value: (i, o) => [...new Set(effectiveVips(i, o).map((v) => canonicalIp(v.address)))].sort().join(', ') || '(none)' },
];

/** Shows a value without leaking an auth password into messages/logs. */
function shown(a: Agreement, v: string): string {
  return a.code === 'FLEET_AUTH_MISMATCH' && v !== 'none' ? `${v.split('/')[0]} with another password` : v;
}

/**
 * Reports each member whose value differs from the reference: the instance-level value when a
 * member inherits it, else the first member's (by name).
 */
function checkAgreement(
  issues: SpecIssue[], name: string, inst: VrrpInstance, members: string[], a: Agreement, valueOf: (d: string) => string,
): void {
  const values = new Map(members.map((d) => [d, valueOf(d)]));
  if (new Set(values.values()).size <= 1) return;
  const inheriting = members.find((d) => overrideOf(inst, d)[a.field] === undefined);
  const refDir = inheriting ?? members[0]!;
  const ref = values.get(refDir)!;
  for (const d of members) {
    const v = values.get(d)!;
    if (v === ref) continue;
    // A differing member normally sets the field itself; for version it may differ through its
    // VIP family instead, so point at the whole override then.
    const path = overrideOf(inst, d)[a.field] !== undefined ? ['vrrpInstances', name, 'directors', d, a.field] : ['vrrpInstances', name, 'directors', d];
    issues.push(fleetIssue(a.code, path, `instance ${name}: director ${d} uses ${a.label} ${shown(a, v)} but ${refDir} uses ${shown(a, ref)}; peers must agree`));
  }
}

function checkElection(issues: SpecIssue[], name: string, inst: VrrpInstance, members: string[]): void {
  const byPriority = new Map<number, string[]>();
  for (const d of members) {
    const p = overrideOf(inst, d).priority ?? inst.priority;
    byPriority.set(p, [...(byPriority.get(p) ?? []), d]);
  }
  const allNopreempt = members.every((d) => overrideOf(inst, d).nopreempt ?? inst.nopreempt);
  for (const [priority, dirs] of byPriority) {
    if (dirs.length < 2) continue;
    const path = fieldPath(name, inst, dirs[1]!, 'priority');
    if (priority === 255) {
      issues.push(fleetIssue('FLEET_MULTIPLE_OWNERS', path, `instance ${name}: directors ${dirs.join(', ')} all have priority 255 (address owner)`));
      continue;
    }
    // Equal priorities with nopreempt everywhere is the deliberate "no failback" pattern.
    issues.push(fleetIssue('FLEET_PRIORITY_TIE', path,
      `instance ${name}: directors ${dirs.join(', ')} share priority ${priority}; the election is decided by IP address`,
      allNopreempt ? 'warning' : 'error'));
  }
}

function checkLocal(issues: SpecIssue[], spec: ClusterSpec, name: string, inst: VrrpInstance, members: string[]): void {
  const seen = new Set<string>();
  const push = (issue: SpecIssue) => {
    const key = `${issue.code} ${issue.path.join('\u0000')}`;
    if (!seen.has(key)) { seen.add(key); issues.push(issue); }
  };
  const strict = inst.strictMode ?? spec.global.vrrpStrict;
  for (const d of members) {
    const ov = overrideOf(inst, d);
    const version = effectiveVersion(spec.global, inst, ov);
    const vips = effectiveVips(inst, ov);
    const families = vips.map((v) => ipFamily(v.address));
    const vipPath = ov.virtualIpAddresses ? ['vrrpInstances', name, 'directors', d, 'virtualIpAddresses'] : ['vrrpInstances', name, 'virtualIpAddresses'];
    const mixedAt = families.findIndex((f) => f !== families[0]);
    if (mixedAt > 0) {
      push(fleetIssue('FLEET_VIP_FAMILY_MIXED', [...vipPath, mixedAt], `instance ${name}: ${vips[mixedAt]!.address} is not the same family as ${vips[0]!.address}`));
    }
    if ((ov.nopreempt ?? inst.nopreempt) && (ov.state ?? inst.state) === 'MASTER') {
      push(fleetIssue('FLEET_NOPREEMPT_WITH_MASTER', fieldPath(name, inst, d, 'state'), `instance ${name}: director ${d} has nopreempt with state MASTER; keepalived ignores nopreempt then`));
    }
    if (version === 2 && families.includes('inet6') && versionIsExplicit(inst, ov)) {
      push(fleetIssue('FLEET_V2_WITH_IPV6', fieldPath(name, inst, d, 'version'), `instance ${name}: version 2 with IPv6 VIP ${vips[families.indexOf('inet6')]!.address}`));
    }
    if ((ov.auth ?? inst.auth)?.type === 'AH') {
      push(fleetIssue('FLEET_AUTH_AH_UNSUPPORTED', [...fieldPath(name, inst, d, 'auth'), 'type'], `instance ${name}: auth_type AH cannot be verified by Vigil`));
    }
    if (version === 3 && (ov.auth ?? inst.auth)) {
      push(fleetIssue('FLEET_AUTH_WITH_V3', fieldPath(name, inst, d, 'auth'), `instance ${name}: authentication is ignored with VRRPv3`));
    }
    if (!isUnicast(inst) && effectiveInterface(spec, inst, d) === undefined) {
      push(fleetIssue('FLEET_NO_INTERFACE', ['vrrpInstances', name, 'interface'], `instance ${name}: director ${d} has no interface to advertise on`));
    }
    if (strict) {
      const priority = ov.priority ?? inst.priority;
      const violation: [string, (string | number)[]] | undefined =
        isUnicast(inst) ? ['unicast peers', ['vrrpInstances', name, 'unicastPeers']]
          : (ov.auth ?? inst.auth) ? ['authentication', fieldPath(name, inst, d, 'auth')]
            : (ov.preemptDelayMs ?? inst.preemptDelayMs) > 0 ? ['preempt_delay', fieldPath(name, inst, d, 'preemptDelayMs')]
              : (ov.state ?? inst.state) === 'MASTER' && priority !== 255 ? [`state MASTER with priority ${priority} (director ${d})`, fieldPath(name, inst, d, 'state')]
                : vips.length === 0 ? ['an instance without VIPs', vipPath]
                  : undefined;
      if (violation) push(fleetIssue('FLEET_STRICT_MODE_VIOLATION', violation[1], `instance ${name}: vrrp_strict forbids ${violation[0]}`));
    }
  }
}

/** Peer agreement, election and per-member rules for every instance. */
export function checkInstanceRules(spec: ClusterSpec): SpecIssue[] {
  const issues: SpecIssue[] = [];
  for (const [name, inst] of Object.entries(spec.vrrpInstances)) {
    const members = instanceMembers(spec, inst).filter((d) => Object.hasOwn(spec.directors, d));
    for (const a of AGREEMENTS) checkAgreement(issues, name, inst, members, a, (d) => a.value(inst, overrideOf(inst, d)));
    checkAgreement(issues, name, inst, members,
      { code: 'FLEET_VERSION_MISMATCH', field: 'version', label: 'VRRP version', value: () => '' },
      (d) => String(effectiveVersion(spec.global, inst, overrideOf(inst, d))));
    checkElection(issues, name, inst, members);
    checkLocal(issues, spec, name, inst, members);
  }
  return issues;
}
