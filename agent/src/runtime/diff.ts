/**
 * Reload as a diff (SIGHUP, or a new revision from the control plane), decided per instance and
 * said in keepalived's words. Pure.
 *
 * An instance is known by its name. It is
 * - `unchanged` when its effective config, the tracked objects it uses and its sync group are;
 * - `changed` (in place) for anything else: VIPs, excluded VIPs, virtual routes, notify hooks,
 *   tracked objects and their weights, GARP settings, priority, advert interval, preemption,
 *   authentication, unicast peers. The running instance keeps its state, its timers and the
 *   master it knows; only the difference is applied (keepalived's reload does the same for VIPs,
 *   see vrrp_data.c / clear_diff_vrrp_vip);
 * - `restarted` when its identity changed: VRID, interface, version or address family. Those name
 *   another virtual router on the wire, so the old one leaves gracefully (priority 0 when master)
 *   and the new one starts;
 * - `added` / `removed`.
 *
 * Tracked objects (vrrp_script, track_file, vrrp_track_process) are diffed by definition: one
 * whose definition is unchanged keeps its state (rise/fall counters, last value).
 */
import type { ResolvedDirectorConfig, ResolvedVrrpInstance } from '../../../schema/src/spec/resolve.ts';

export type InstanceChange =
  | { name: string; action: 'unchanged' }
  | { name: string; action: 'changed'; changes: string[] }
  | { name: string; action: 'restarted'; why: string[] }
  | { name: string; action: 'added' }
  | { name: string; action: 'removed' };

export interface TrackerDiff {
  /** "script:chk", "file:f", "process:p" whose definition changed (their state starts over). */
  restarted: string[];
  added: string[];
  removed: string[];
}

export interface ConfigDiff {
  instances: InstanceChange[];
  trackers: TrackerDiff;
  /** global_defs settings that changed (their keys). */
  global: string[];
}

/** The fields that name a virtual router: changing one is another router, so a restart. */
const IDENTITY = [
  ['virtualRouterId', 'virtual_router_id'],
  ['interface', 'interface'],
  ['version', 'version'],
  ['family', 'address family'],
] as const satisfies ReadonlyArray<readonly [keyof ResolvedVrrpInstance, string]>;

/** Fields that do not shape how this director runs the instance. */
const IGNORED = new Set<keyof ResolvedVrrpInstance>(['name', 'peerDirectors']);

/**
 * keepalived's keyword for the fields changed in place (for the report). Every other field of
 * the resolved instance is compared too, under its own name: a field added to the resolved
 * config later is never missed by the diff.
 */
const IN_PLACE = [
  ['priority', 'priority'],
  ['advertIntervalMs', 'advert_int'],
  ['state', 'state'],
  ['nopreempt', 'nopreempt'],
  ['preemptDelayMs', 'preempt_delay'],
  ['accept', 'accept'],
  ['strictMode', 'strict_mode'],
  ['auth', 'authentication'],
  ['virtualIpAddresses', 'virtual_ipaddress'],
  ['virtualIpAddressesExcluded', 'virtual_ipaddress_excluded'],
  ['noVirtualIpAddress', 'no_virtual_ipaddress'],
  ['virtualRoutes', 'virtual_routes'],
  ['transport', 'unicast_peer/mcast'],
  ['garp', 'garp'],
  ['trackInterfaces', 'track_interface'],
  ['trackScripts', 'track_script'],
  ['trackFiles', 'track_file'],
  ['trackProcesses', 'track_process'],
  ['dontTrackPrimary', 'dont_track_primary'],
  ['notify', 'notify'],
  ['notifyPriorityChanges', 'notify_priority_changes'],
  ['promoteSecondaries', 'promote_secondaries'],
  ['useVmac', 'use_vmac'],
  ['vmacXmitBase', 'vmac_xmit_base'],
  ['syncGroup', 'sync group'],
  ['skipCheckAdvAddr', 'skip_check_adv_addr'],
  ['v3ChecksumAsV2', 'v3_checksum_as_v2'],
] as const satisfies ReadonlyArray<readonly [keyof ResolvedVrrpInstance, string]>;

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** "192.0.2.1/24" for a VIP, "198.51.100.0/24" for a route, the name for a tracker. */
function itemText(x: unknown): string {
  if (typeof x !== 'object' || x === null) return String(x);
  const o = x as Record<string, unknown>;
  if (typeof o.address === 'string') return o.address;
  if (typeof o.to === 'string') return o.to;
  if (typeof o.name === 'string') return o.weight !== undefined ? `${o.name} weight ${String(o.weight)}` : o.name;
  if (typeof o.interface === 'string') return o.weight !== undefined ? `${o.interface} weight ${String(o.weight)}` : o.interface;
  return JSON.stringify(x);
}

/** One field's change as a phrase: "priority 150 -> 140", "virtual_ipaddress +192.0.2.101/24". */
function describe(keyword: string, a: unknown, b: unknown): string {
  if (Array.isArray(a) && Array.isArray(b)) {
    const before = a.map(itemText);
    const after = b.map(itemText);
    const parts = [...after.filter((x) => !before.includes(x)).map((x) => `+${x}`), ...before.filter((x) => !after.includes(x)).map((x) => `-${x}`)];
    return `${keyword} ${parts.length ? parts.join(' ') : 'reordered or edited'}`;
  }
  const scalar = (v: unknown) => v === undefined || typeof v !== 'object' || v === null;
  return scalar(a) && scalar(b) ? `${keyword} ${String(a ?? '-')} -> ${String(b ?? '-')}` : `${keyword} changed`;
}

/** The tracked objects an instance uses, by their status name ("script:chk"), with definitions. */
function trackerDefs(cfg: ResolvedDirectorConfig, inst: ResolvedVrrpInstance): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const t of inst.trackScripts) out.set(`script:${t.name}`, own(cfg.vrrpScripts, t.name));
  for (const t of inst.trackFiles) out.set(`file:${t.name}`, own(cfg.trackFiles, t.name));
  for (const t of inst.trackProcesses) out.set(`process:${t.name}`, own(cfg.trackProcesses, t.name));
  return out;
}

const own = <T>(o: Record<string, T>, k: string): T | undefined => (Object.hasOwn(o, k) ? o[k] : undefined);

/** Every tracked object any instance uses, by status name, with its definition. */
export function usedTrackers(cfg: ResolvedDirectorConfig): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const inst of Object.values(cfg.instances)) for (const [k, v] of trackerDefs(cfg, inst)) out.set(k, v);
  return out;
}

function instanceChange(before: ResolvedDirectorConfig, after: ResolvedDirectorConfig, name: string): InstanceChange {
  const a = before.instances[name]!;
  const b = after.instances[name]!;
  const why = IDENTITY.filter(([k]) => !same(a[k], b[k])).map(([k, kw]) => describe(kw, a[k], b[k]));
  if (why.length) return { name, action: 'restarted', why };
  const keyword = new Map<string, string>(IN_PLACE);
  const identity = new Set<string>(IDENTITY.map(([k]) => k));
  const fields = [...new Set([...Object.keys(a), ...Object.keys(b)])] as Array<keyof ResolvedVrrpInstance>;
  const changes = fields
    .filter((k) => !IGNORED.has(k) && !identity.has(k) && !same(a[k], b[k]))
    .map((k) => describe(keyword.get(k) ?? k, a[k], b[k]));
  const ta = trackerDefs(before, a);
  for (const [k, def] of trackerDefs(after, b)) if (ta.has(k) && !same(ta.get(k), def)) changes.push(`${k} definition changed`);
  const ga = a.syncGroup ? own(before.syncGroups, a.syncGroup) : undefined;
  const gb = b.syncGroup ? own(after.syncGroups, b.syncGroup) : undefined;
  if (a.syncGroup === b.syncGroup && !same(ga, gb)) changes.push(`vrrp_sync_group ${b.syncGroup} changed`);
  return changes.length ? { name, action: 'changed', changes } : { name, action: 'unchanged' };
}

export function diffConfig(before: ResolvedDirectorConfig, after: ResolvedDirectorConfig): ConfigDiff {
  const instances: InstanceChange[] = [];
  for (const name of Object.keys(before.instances)) if (!Object.hasOwn(after.instances, name)) instances.push({ name, action: 'removed' });
  for (const name of Object.keys(after.instances)) {
    instances.push(Object.hasOwn(before.instances, name) ? instanceChange(before, after, name) : { name, action: 'added' });
  }
  const ta = usedTrackers(before);
  const tb = usedTrackers(after);
  const trackers: TrackerDiff = {
    restarted: [...tb.keys()].filter((k) => ta.has(k) && !same(ta.get(k), tb.get(k))),
    added: [...tb.keys()].filter((k) => !ta.has(k)),
    removed: [...ta.keys()].filter((k) => !tb.has(k)),
  };
  const keys = new Set([...Object.keys(before.global), ...Object.keys(after.global)]) as Set<keyof typeof before.global>;
  const global = [...keys].filter((k) => !same(before.global[k], after.global[k]));
  return { instances, trackers, global };
}

/** "VI_1: changed in place (virtual_ipaddress +192.0.2.101/24)" per instance that is not unchanged. */
export function summarize(d: ConfigDiff): string[] {
  return d.instances.map((c) => {
    switch (c.action) {
      case 'changed': return `${c.name}: changed in place (${c.changes.join('; ')})`;
      case 'restarted': return `${c.name}: restarted (${c.why.join('; ')})`;
      default: return `${c.name}: ${c.action}`;
    }
  });
}
