/**
 * Several directors' single-director specs (one keepalived.conf each, as converted by
 * keepalived/convert.ts) -> one cluster spec. Pure.
 *
 * The rule, the same for every field, so that merging is deterministic and an exported cluster
 * imports back to the spec it came from:
 * - what every file that has an object agrees on is written once, cluster-wide;
 * - where files differ, the cluster-wide value is the FIRST director's (command-line order) and
 *   every other director that differs gets a per-director override with its own value — for the
 *   fields the spec lets a director override (priority, state, interface, nopreempt, preempt_delay,
 *   track_interface, virtual_ipaddress and, so that the fleet rules can reject them with a path,
 *   virtual_router_id, version, advert_int, authentication);
 * - a difference the spec cannot hold (a notify script, a vrrp_script, a virtual server, a
 *   global_defs value) is a finding with both places, and the first director's value is kept.
 * Values are compared after keepalived's defaults are applied, so `priority 100` and no priority
 * line are the same thing.
 *
 * Unicast: the spec lists every member's address once (`unicastPeers`); each file lists the
 * others. The merged list is the union of every file's peers and every member's unicast_src_ip.
 */
import {
  canonicalIp, GlobalGarp, GlobalSettings, parseIp, SyncGroup, TrackFile, TrackProcess, VirtualServer,
  VirtualServerGroup, VrrpInstance, VrrpScript,
} from '#schema';
import type { z } from 'zod';
import type { Location } from '../../keepalived/diagnostics.ts';
import { uniqueLocations, type Finding } from './findings.ts';

type Obj = Record<string, unknown>;
type SpecPath = (string | number)[];

/** One director's converted file. */
export interface DirectorSource {
  director: string;
  file: string;
  /** The single-director spec as converted (defaults not applied). */
  spec: Obj;
  /** Where a path of `spec` was written in this director's files. */
  locate(path: SpecPath): Location;
}

export interface MergeResult {
  /** The cluster spec (defaults not applied). */
  spec: Obj;
  /** Disagreements the spec cannot hold, and notes. */
  findings: Finding[];
  /**
   * Where a path of the merged spec was written: the director's file for an override, the file
   * the cluster-wide value came from otherwise, and every member's file for a disagreement code.
   */
  locate(path: SpecPath, code?: string): Location[];
}

/** A null-prototype record: names from files are keys like any other. */
const rec = <T>(): Record<string, T> => Object.create(null) as Record<string, T>;
const own = <T>(o: Record<string, T> | undefined, k: string): T | undefined => (o && Object.hasOwn(o, k) ? o[k] : undefined);

/** Canonical JSON (sorted keys) for comparing values. */
export function canon(v: unknown): string {
  if (v === undefined) return 'undefined';
  return JSON.stringify(v, (_k, val: unknown) => {
    if (val && typeof val === 'object' && !Array.isArray(val)) {
      const sorted: Obj = {};
      for (const k of Object.keys(val).sort()) sorted[k] = (val as Obj)[k];
      return sorted;
    }
    return val;
  });
}

/** A field value with its schema's default applied (the raw value when it does not parse). */
function normal(schema: z.ZodType | undefined, v: unknown): unknown {
  if (!schema) return v;
  const r = schema.safeParse(v);
  return r.success ? r.data : v;
}

/** keepalived's keyword for a spec field, for messages. */
const KEYWORD: Record<string, string> = {
  priority: 'priority', state: 'state', interface: 'interface', nopreempt: 'nopreempt', preemptDelayMs: 'preempt_delay',
  trackInterfaces: 'track_interface', virtualIpAddresses: 'virtual_ipaddress', virtualRouterId: 'virtual_router_id',
  version: 'version', advertIntervalMs: 'advert_int', auth: 'authentication', virtualIpAddressesExcluded: 'virtual_ipaddress_excluded',
  virtualRoutes: 'virtual_routes', trackScripts: 'track_script', trackFiles: 'track_file', trackProcesses: 'track_process',
  notify: 'notify_*', garp: 'garp_*', accept: 'accept', strictMode: 'strict_mode', mcastDstIp: 'mcast_dst_ip',
  unicastTtl: 'unicast_ttl', useVmac: 'use_vmac', dontTrackPrimary: 'dont_track_primary', promoteSecondaries: 'promote_secondaries',
  skipCheckAdvAddr: 'skip_check_adv_addr', v3ChecksumAsV2: 'v3_checksum_as_v2', notifyPriorityChanges: 'notify_priority_changes',
  vmacXmitBase: 'vmac_xmit_base', noVirtualIpAddress: 'no_virtual_ipaddress',
};
const keyword = (field: string) => KEYWORD[field] ?? field;

/** Fields a director may override (InstanceDirectorOverride), besides the source addresses. */
const OVERRIDABLE = new Set(['priority', 'state', 'interface', 'nopreempt', 'preemptDelayMs', 'trackInterfaces', 'virtualIpAddresses', 'virtualRouterId', 'version', 'advertIntervalMs', 'auth']);

/** Codes whose message compares members: located in every member's file. */
const MULTI = /MISMATCH|TIE|OWNERS|UNICAST/;

/** A value as shown in a message (an auth password is never shown). */
function shown(field: string, v: unknown): string {
  if (v === undefined) return '(not set)';
  if (field === 'auth' && v && typeof v === 'object') return `${String((v as Obj).type)} with a password`;
  if (field === 'virtualIpAddresses' && Array.isArray(v)) return v.map((a) => (typeof a === 'string' ? a : String((a as Obj).address))).join(' ');
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** The identity of a virtual server: "IP port/PROTO", "fwmark N", "group NAME". */
export function virtualServerKey(vs: Obj): string {
  if (vs.fwmark !== undefined) return `fwmark ${String(vs.fwmark)}`;
  if (vs.group !== undefined) return `group ${String(vs.group)}`;
  const addr = typeof vs.address === 'string' && parseIp(vs.address) ? canonicalIp(vs.address) : String(vs.address);
  return `${addr} ${String(vs.port ?? 0)}/${String(vs.protocol ?? 'TCP')}`;
}

function ipOrder(a: string, b: string): number {
  const x = parseIp(a);
  const y = parseIp(b);
  if (!x || !y) return a.localeCompare(b);
  if (x.family !== y.family) return x.family === 'inet' ? -1 : 1;
  return x.bytes.length === y.bytes.length ? Buffer.compare(Buffer.from(x.bytes), Buffer.from(y.bytes)) : 0;
}

/** Merges the directors' specs (in the given order; the first is the reference). */
export function mergeDirectorSpecs(sources: DirectorSource[]): MergeResult {
  const findings: Finding[] = [];
  const byDirector = new Map(sources.map((s) => [s.director, s]));
  const at = (d: string, path: SpecPath): Location => byDirector.get(d)!.locate(path);
  const disagree = (what: string, path: SpecPath, a: { d: string; v: string }, b: { d: string; v: string }, hint: string, severity: Finding['severity'] = 'error') => {
    findings.push({
      severity, code: 'import-disagreement',
      message: `${what}: ${a.d} has ${a.v} but ${b.d} has ${b.v}; a cluster spec holds one value, and keeps ${a.d}'s`,
      hint, locations: uniqueLocations([at(a.d, path), at(b.d, path)]),
    });
  };

  // --- global_defs: cluster-wide, one value each.
  const global: Obj = rec();
  const globalFrom = new Map<string, string>();
  const globalShape = GlobalSettings.shape as Record<string, z.ZodType>;
  const garpShape = GlobalGarp.shape as Record<string, z.ZodType>;
  for (const s of sources) {
    const g = (s.spec.global ?? {}) as Obj;
    for (const [key, value] of Object.entries(g)) {
      if (key === 'garp') continue;
      const prev = globalFrom.get(key);
      if (prev === undefined) {
        global[key] = value;
        globalFrom.set(key, s.director);
      } else if (canon(normal(globalShape[key], global[key])) !== canon(normal(globalShape[key], value))) {
        disagree(`global_defs ${key}`, ['global', key], { d: prev, v: shown(key, global[key]) }, { d: s.director, v: shown(key, value) }, 'global_defs settings apply to the whole cluster: make the files agree');
      }
    }
    for (const [key, value] of Object.entries((g.garp ?? {}) as Obj)) {
      const garp = (global.garp ??= rec()) as Obj;
      const fk = `garp.${key}`;
      const prev = globalFrom.get(fk);
      if (prev === undefined) {
        garp[key] = value;
        globalFrom.set(fk, s.director);
      } else if (canon(normal(garpShape[key], garp[key])) !== canon(normal(garpShape[key], value))) {
        disagree(`global_defs vrrp_garp ${key}`, ['global', 'garp', key], { d: prev, v: shown(key, garp[key]) }, { d: s.director, v: shown(key, value) }, 'global_defs settings apply to the whole cluster: make the files agree');
      }
    }
    // Keys some files leave at the default while another sets them differ too.
  }
  for (const [key, from] of globalFrom) {
    if (key.startsWith('garp.')) continue;
    const ref = canon(normal(globalShape[key], global[key]));
    for (const s of sources) {
      const g = (s.spec.global ?? {}) as Obj;
      if (Object.hasOwn(g, key) || s.director === from) continue;
      if (canon(normal(globalShape[key], undefined)) !== ref) {
        disagree(`global_defs ${key}`, ['global', key], { d: from, v: shown(key, global[key]) }, { d: s.director, v: '(not set: the default)' }, 'global_defs settings apply to the whole cluster: make the files agree');
      }
    }
  }

  // --- directors: node-local settings.
  const directors: Obj = rec();
  for (const s of sources) directors[s.director] = own(s.spec.directors as Record<string, Obj>, s.director) ?? {};

  // --- named objects shared by name: first definition wins, a different one is a finding.
  const namedFrom = new Map<string, string>();
  const mergeNamed = (key: string, label: string, schema: z.ZodType) => {
    const out: Obj = rec();
    for (const s of sources) {
      for (const [name, def] of Object.entries((s.spec[key] ?? {}) as Obj)) {
        const prev = namedFrom.get(`${key}\u0000${name}`);
        if (prev === undefined) {
          out[name] = def;
          namedFrom.set(`${key}\u0000${name}`, s.director);
        } else if (canon(normal(schema, out[name])) !== canon(normal(schema, def))) {
          disagree(`${label} ${name}`, [key, name], { d: prev, v: 'one definition' }, { d: s.director, v: 'another' }, `a ${label} is defined once for the cluster: make the definitions agree, or rename one and track it from that director's instances`);
        }
      }
    }
    return out;
  };
  const vrrpScripts = mergeNamed('vrrpScripts', 'vrrp_script', VrrpScript);
  const trackFiles = mergeNamed('trackFiles', 'track_file', TrackFile);
  const trackProcesses = mergeNamed('trackProcesses', 'vrrp_track_process', TrackProcess);
  const syncGroups = mergeNamed('syncGroups', 'vrrp_sync_group', SyncGroup);
  const virtualServerGroups = mergeNamed('virtualServerGroups', 'virtual_server_group', VirtualServerGroup);

  // --- VRRP instances.
  const instShape = VrrpInstance.shape as Record<string, z.ZodType>;
  const vrrpInstances: Obj = rec();
  const membersOf = new Map<string, string[]>();
  const allDirectors = sources.map((s) => s.director);
  const instanceNames: string[] = [];
  for (const s of sources) for (const name of Object.keys((s.spec.vrrpInstances ?? {}) as Obj)) if (!instanceNames.includes(name)) instanceNames.push(name);
  for (const name of instanceNames) {
    const members = sources.filter((s) => own(s.spec.vrrpInstances as Record<string, Obj>, name) !== undefined).map((s) => s.director);
    membersOf.set(name, members);
    const insts = new Map(members.map((d) => [d, own(byDirector.get(d)!.spec.vrrpInstances as Record<string, Obj>, name)!]));
    const ref = members[0]!;
    const merged: Obj = {};
    const overrides: Record<string, Obj> = rec();
    const ov = (d: string) => (overrides[d] ??= {});
    if (members.length < allDirectors.length) merged.members = members;
    const fields: string[] = [];
    for (const inst of insts.values()) for (const k of Object.keys(inst)) if (k !== 'directors' && k !== 'unicastPeers' && !fields.includes(k)) fields.push(k);
    for (const field of fields) {
      const values = members.map((d) => ({ d, raw: insts.get(d)![field], norm: normal(instShape[field], insts.get(d)![field]) }));
      const first = values[0]!;
      if (values.every((v) => canon(v.norm) === canon(first.norm))) {
        const explicit = values.find((v) => v.raw !== undefined);
        if (explicit) merged[field] = first.raw ?? explicit.raw;
        continue;
      }
      if (first.norm !== undefined) merged[field] = first.raw ?? first.norm;
      for (const v of values.slice(1)) {
        if (canon(v.norm) === canon(first.norm)) continue;
        if (OVERRIDABLE.has(field) && v.norm !== undefined && first.norm !== undefined) {
          ov(v.d)[field] = v.raw ?? v.norm;
        } else {
          // An object (notify_*, garp_*) was written line by line: point at its first line.
          const sub = first.raw && typeof first.raw === 'object' && !Array.isArray(first.raw) ? Object.keys(first.raw).slice(0, 1) : [];
          disagree(`vrrp_instance ${name} ${keyword(field)}`, ['vrrpInstances', name, field, ...sub], { d: ref, v: shown(field, first.raw ?? first.norm) }, { d: v.d, v: shown(field, v.raw ?? v.norm) },
            OVERRIDABLE.has(field) ? `set ${keyword(field)} in both files (the spec can override it per director, but not leave it unset on one)` : `${keyword(field)} is one value for every director of the instance: make the files agree`);
        }
      }
    }
    // Node-local source addresses the converter already placed in the director's override.
    for (const [d, inst] of insts) {
      const local = own(inst.directors as Record<string, Obj> | undefined, d);
      if (local) Object.assign(ov(d), local);
    }
    // Unicast peers: every member's address once (the union), each entry's TTL range kept.
    const peers = new Map<string, Obj>();
    const peerFrom = new Map<string, string>();
    let unicast = false;
    for (const [d, inst] of insts) {
      const list = (inst.unicastPeers ?? []) as Obj[];
      if (list.length) unicast = true;
      for (const p of list) {
        const key = typeof p.address === 'string' && parseIp(p.address) ? canonicalIp(p.address) : String(p.address);
        const prev = peers.get(key);
        if (!prev) {
          peers.set(key, p);
          peerFrom.set(key, d);
        } else if (canon({ ...prev, address: key }) !== canon({ ...p, address: key })) {
          disagree(`vrrp_instance ${name} unicast_peer ${key}`, ['vrrpInstances', name, 'unicastPeers'], { d: peerFrom.get(key)!, v: shown('p', prev) }, { d, v: shown('p', p) }, 'give the peer the same min_ttl/max_ttl in every file');
        }
      }
    }
    if (unicast) {
      for (const d of members) {
        const src = (own(overrides, d)?.unicastSrcIp ?? own(directors as Record<string, Obj>, d)?.unicastSrcIp) as string | undefined;
        if (src && parseIp(src) && !peers.has(canonicalIp(src))) peers.set(canonicalIp(src), { address: src });
      }
      merged.unicastPeers = [...peers.entries()].sort(([a], [b]) => ipOrder(a, b)).map(([, p]) => p);
    }
    if (Object.keys(overrides).length) merged.directors = overrides;
    vrrpInstances[name] = merged;
  }

  // --- virtual servers: by identity; cluster-wide.
  const virtualServers: Obj[] = [];
  const vsFrom: { d: string; index: number }[] = [];
  const vsIndex = new Map<string, number>();
  for (const s of sources) {
    ((s.spec.virtualServers ?? []) as Obj[]).forEach((vs, index) => {
      const key = virtualServerKey(vs);
      const i = vsIndex.get(key);
      if (i === undefined) {
        vsIndex.set(key, virtualServers.length);
        virtualServers.push(vs);
        vsFrom.push({ d: s.director, index });
        return;
      }
      const from = vsFrom[i]!;
      if (canon(normal(VirtualServer, virtualServers[i])) !== canon(normal(VirtualServer, vs))) {
        findings.push({
          severity: 'error', code: 'import-disagreement',
          message: `virtual_server ${key}: ${from.d} and ${s.director} define it differently; a cluster spec holds one definition, and keeps ${from.d}'s`,
          hint: 'virtual servers run the same on every director: make the blocks agree',
          locations: uniqueLocations([at(from.d, ['virtualServers', from.index]), s.locate(['virtualServers', index])]),
        });
      }
    });
  }
  virtualServers.forEach((vs, i) => {
    const from = vsFrom[i]!;
    const missing = sources.filter((s) => !((s.spec.virtualServers ?? []) as Obj[]).some((o) => virtualServerKey(o) === virtualServerKey(vs))).map((s) => s.director);
    if (missing.length) {
      findings.push({
        severity: 'warning', code: 'import-only-some',
        message: `virtual_server ${virtualServerKey(vs)} is only in ${from.d}'s file (not ${missing.join(', ')}): the cluster spec runs it on every director`,
        hint: 'that is what a failover needs (the new master serves the VIP); if it must not run on a director, keep that director out of this cluster',
        locations: [at(from.d, ['virtualServers', from.index])],
      });
    }
  });

  const spec: Obj = {
    version: 1, global, directors, vrrpScripts, trackFiles, trackProcesses, vrrpInstances, syncGroups, virtualServerGroups, virtualServers,
  };

  const locate = (path: SpecPath, code?: string): Location[] => {
    const first = sources[0]!;
    const [top, name] = path;
    if (sources.length === 0) return [];
    switch (top) {
      case 'vrrpInstances': {
        const members = membersOf.get(String(name)) ?? [first.director];
        if (path[2] === 'directors' && typeof path[3] === 'string' && byDirector.has(path[3])) {
          const rel = ['vrrpInstances', String(name), ...path.slice(4)];
          const main = at(path[3], rel);
          const others = code && MULTI.test(code) ? members.filter((m) => m !== path[3]).map((m) => at(m, rel)) : [];
          return uniqueLocations([main, ...others]);
        }
        if (path[2] === 'members') return uniqueLocations(members.map((m) => at(m, ['vrrpInstances', String(name)])));
        const who = code && MULTI.test(code) ? members : [members[0]!];
        return uniqueLocations(who.map((m) => at(m, path)));
      }
      case 'directors':
        return typeof name === 'string' && byDirector.has(name) ? [at(name, path)] : [first.locate(['directors'])];
      case 'global': {
        const key = path[1] === 'garp' ? `garp.${String(path[2])}` : String(path[1]);
        return [at(globalFrom.get(key) ?? first.director, path)];
      }
      case 'virtualServers': {
        const from = typeof name === 'number' ? vsFrom[name] : undefined;
        return from ? [at(from.d, ['virtualServers', from.index, ...path.slice(2)])] : [first.locate(path)];
      }
      case 'vrrpScripts': case 'trackFiles': case 'trackProcesses': case 'syncGroups': case 'virtualServerGroups': {
        const d = namedFrom.get(`${top}\u0000${String(name)}`) ?? first.director;
        return [at(d, path)];
      }
      default:
        return [first.locate(path)];
    }
  };

  return { spec, findings, locate };
}
