/**
 * The predicted effect of a spec change on every election of a cluster. Pure.
 *
 * For each instance: who is master now (the directors' fresh reports), what each director's
 * reload does with the instance (the agent's own reload diff: unchanged, changed in place,
 * restarted, added, removed), whether the change is one peers must make at one coordinated
 * instant (the control plane's rollout rule: anything carried in adverts), and who is master
 * once the election settles — computed by running the agent's VRRP state machine on a
 * simulated segment (simulate.ts) from the reported state through the change.
 *
 * Inputs the reports cannot give are assumptions, said in `notes`: a director without a fresh
 * report is taken as down; tracking keeps moving a priority by what it moves it now.
 */
import { advertKey, instanceMembers, resolveDirectorConfig, type ClusterSpec, type ResolvedDirectorConfig, type ResolvedVrrpInstance } from '#schema';
import { planInstance } from '../../runtime/plan.ts';
import type { InstanceConfig } from '../../vrrp/state.ts';
import { reloadActions, type ReloadAction } from './reload-effect.ts';
import { Segment, type Transition } from './simulate.ts';

/** What the control plane knows of a director now. */
export interface DirectorNow {
  name: string;
  maintenance: boolean;
  /** A report younger than the freshness window: its instances count. */
  fresh: boolean;
  /** Reported instances by name: keepalived's state word, effective and base priority. */
  instances: Record<string, { state: string; priority?: number | undefined; basePriority?: number | undefined }>;
}

export interface DirectorChange {
  director: string;
  action: ReloadAction['action'] | 'maintenance' | 'down';
  /** What changed, in keepalived's words (for in-place changes and restarts). */
  detail: string[];
  priorityBefore?: number;
  priorityAfter?: number;
}

export interface InstancePrediction {
  instance: string;
  /** Reported masters now (two or more = split brain). */
  mastersNow: string[];
  /** Masters once the election settles after the change. */
  mastersAfter: string[];
  /** The change is carried in adverts: every director applies it at one scheduled instant. */
  coordinated: boolean;
  directors: DirectorChange[];
  /** Transitions after the change, in ms from the moment it is applied. */
  timeline: Transition[];
  notes: string[];
}

const SETTLE_MS = 15_000;

/** A stable, distinct source address per director for the equal-priority tie-break. */
function primaryAddress(inst: ResolvedVrrpInstance, index: number): string {
  if (inst.transport.srcIp) return inst.transport.srcIp;
  return inst.family === 'inet6' ? `fe80::${(index + 1).toString(16)}` : `192.0.2.${index + 1}`;
}

function fsmConfig(inst: ResolvedVrrpInstance, index: number): InstanceConfig | undefined {
  try {
    return { ...planInstance(inst).fsm, primaryAddress: primaryAddress(inst, index) };
  } catch {
    // No interface / no peer: the agent refuses to run it; the plan says so.
    return undefined;
  }
}

function resolved(spec: ClusterSpec | undefined, director: string): ResolvedDirectorConfig | undefined {
  if (!spec || !Object.hasOwn(spec.directors, director)) return undefined;
  return resolveDirectorConfig(spec, director);
}

/** Running priority after a change: the new base moved by what tracking moves it now. */
function runningPriority(base: number, reported: { priority?: number | undefined; basePriority?: number | undefined } | undefined): number {
  if (base === 255) return 255;
  const delta = reported?.priority !== undefined && reported.basePriority !== undefined ? reported.priority - reported.basePriority : 0;
  return Math.min(254, Math.max(1, base + delta));
}

export function predict(before: ClusterSpec | undefined, after: ClusterSpec, directorsNow: DirectorNow[]): InstancePrediction[] {
  const byName = new Map(directorsNow.map((d) => [d.name, d]));
  const allDirectors = [...new Set([...Object.keys(after.directors), ...Object.keys(before?.directors ?? {})])].sort();
  const actions = new Map<string, Map<string, ReloadAction>>();
  for (const d of allDirectors) actions.set(d, reloadActions(resolved(before, d), resolved(after, d)));
  const names = [...new Set([...Object.keys(before?.vrrpInstances ?? {}), ...Object.keys(after.vrrpInstances)])];

  return names.map((name) => {
    const notes: string[] = [];
    const instBefore = before && Object.hasOwn(before.vrrpInstances, name) ? before.vrrpInstances[name] : undefined;
    const instAfter = Object.hasOwn(after.vrrpInstances, name) ? after.vrrpInstances[name] : undefined;
    const membersBefore = instBefore && before ? instanceMembers(before, instBefore) : [];
    const membersAfter = instAfter ? instanceMembers(after, instAfter) : [];
    const members = [...new Set([...membersBefore, ...membersAfter])].sort();
    const up = (d: string) => {
      const now = byName.get(d);
      return !!now && now.fresh && !now.maintenance;
    };
    const reportedNow = (d: string) => (byName.get(d)?.fresh ? byName.get(d)?.instances[name] : undefined);
    const mastersNow = members.filter((d) => reportedNow(d)?.state.toUpperCase() === 'MASTER');

    const oldInst = (d: string) => resolved(before, d)?.instances[name];
    const newInst = (d: string) => resolved(after, d)?.instances[name];
    const coordinated = members.some((d) => advertKey(oldInst(d)) !== advertKey(newInst(d)));

    // 1. The segment as reported.
    const seg = new Segment();
    const index = (d: string) => allDirectors.indexOf(d);
    for (const d of membersBefore) {
      const inst = oldInst(d);
      if (!inst || !up(d)) continue;
      const rep = reportedNow(d);
      if (!rep) continue;
      const cfg = fsmConfig(inst, index(d));
      if (!cfg) continue;
      seg.start(d, { ...cfg, priority: inst.priority });
      if (rep.state.toUpperCase() === 'FAULT') seg.track(d, runningPriority(inst.priority, rep), true);
      else if (rep.priority !== undefined && rep.priority !== inst.priority) seg.track(d, Math.max(1, rep.priority), false);
    }
    for (const d of mastersNow) seg.takeOver(d);
    seg.runUntil(SETTLE_MS);
    const settledBefore = seg.masters();
    if (mastersNow.length === 1 && (settledBefore.length !== 1 || settledBefore[0] !== mastersNow[0])) {
      notes.push(`the reports say ${mastersNow[0]} is master, but its peers' priorities would elect ${settledBefore.join(', ') || 'nobody'}: an election is already due`);
    }
    if (mastersNow.length > 1) notes.push(`split brain now: ${mastersNow.join(' and ')} both report MASTER`);
    for (const d of members) {
      const now = byName.get(d);
      if (!now) notes.push(`${d} is not registered: taken as down`);
      else if (!now.fresh) notes.push(`${d} has no fresh report: taken as down`);
    }

    // 2. The change, as each director's reload applies it.
    const t0 = seg.now;
    const changes: DirectorChange[] = [];
    const order = [...members].sort((a, b) => Number(settledBefore.includes(a)) - Number(settledBefore.includes(b)));
    for (const d of order) {
      const action = actions.get(d)?.get(name) ?? { action: 'unchanged', detail: [] };
      const oi = oldInst(d);
      const ni = newInst(d);
      const rep = reportedNow(d);
      // A preferred master (move-master) runs at 254 whatever the spec says; it stays in place.
      const overlay = rep?.basePriority === 254 && oi && oi.priority !== 254;
      const base = ni ? (overlay ? 254 : ni.priority) : undefined;
      const change: DirectorChange = { director: d, action: action.action, detail: action.detail };
      if (oi) change.priorityBefore = rep?.priority ?? oi.priority;
      if (base !== undefined) change.priorityAfter = runningPriority(base, rep);
      if (overlay) notes.push(`${d} runs ${name} at priority 254 (a preferred master set with move-master): kept after the change`);
      if (!up(d)) {
        change.action = byName.get(d)?.maintenance ? 'maintenance' : 'down';
        changes.push(change);
        continue;
      }
      changes.push(change);
      // Not coordinated: the control plane holds the master back until its backups run the
      // new revision (backups first, master last); coordinated: all at one instant.
      if (!coordinated && settledBefore.includes(d)) seg.runUntil(seg.now + 1000);
      const cfg = ni ? fsmConfig(ni, index(d)) : undefined;
      if (ni && !cfg) notes.push(`${d} cannot run ${name} (no interface or no unicast peer): the agent rejects the revision`);
      switch (action.action) {
        case 'removed':
          seg.stop(d);
          break;
        case 'added':
        case 'restarted':
          seg.stop(d);
          if (cfg && base !== undefined) {
            seg.start(d, { ...cfg, priority: base });
            const p = runningPriority(base, rep);
            if (p !== base) seg.track(d, p, false);
          }
          break;
        case 'changed':
          if (cfg && base !== undefined) {
            if (seg.stateOf(d)) seg.reconfigure(d, { ...cfg, priority: base }, runningPriority(base, rep), rep?.state.toUpperCase() === 'FAULT');
            else seg.start(d, { ...cfg, priority: base });
          }
          break;
        case 'unchanged':
          if (!seg.stateOf(d) && cfg && base !== undefined && rep === undefined) seg.start(d, { ...cfg, priority: base });
          break;
      }
    }
    const horizon = Math.max(0, ...membersAfter.map((d) => newInst(d)?.preemptDelayMs ?? 0)) + SETTLE_MS;
    seg.runUntil(seg.now + horizon);
    const mastersAfter = seg.masters();
    if (mastersAfter.length > 1) notes.push(`split brain predicted: ${mastersAfter.join(' and ')} would both be MASTER`);
    if (membersAfter.length && !mastersAfter.length && membersAfter.some(up)) notes.push('no director would be MASTER: every member is in FAULT or stopped');
    const timeline = seg.transitions.filter((t) => t.at >= t0).map((t) => ({ ...t, at: t.at - t0 }));
    return { instance: name, mastersNow, mastersAfter, coordinated, directors: changes.sort((a, b) => a.director.localeCompare(b.director)), timeline, notes };
  });
}
