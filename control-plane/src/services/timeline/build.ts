/**
 * The failover timeline of one VRRP instance ("lane"), from the audit log's transitions. Pure:
 * times are epoch ms, the caller queries and the route formats.
 *
 * A lane is a sequence of segments covering [since, until]: `held` by one director, `outage`
 * (someone was master and nobody is now), or `unknown` (no transition tells us yet, or the
 * holder has gone silent: its last word is not evidence that it still holds the VIP).
 *
 * Who holds the instance follows the transitions to and from MASTER. A takeover ends the
 * previous holder's tenure even when it never said so (a crashed master cannot): at the last
 * advert the new master heard from it (`lastAdvertAt`, RFC 5798 §6.4.2: the Master_Down_Timer
 * runs from it), which makes the time until the takeover an outage, the failover's gap.
 *
 * The same director taking the instance back after an interval with no holder (it left and came
 * back, or its agent restarted: a new `incarnation` with no leave in between) is listed too, as
 * an `outage`: clients saw the same. Gaps run between the VIPs' own moments when the agents
 * report them (`vipsAt`: the kernel confirmed them removed or added), as in GET /v1/failovers.
 *
 * Unless the old master had not gone: when the control plane logs a split brain naming both
 * soon after (`vrrp.split_brain`, detected from their reports), the "takeover" was a second
 * master, not a failover; the lane shows a `split` segment from it until one of them leaves.
 */

export type Cause =
  | 'higher_priority'
  | 'master_down'
  | 'priority_zero'
  | 'tracked_object'
  | 'interface'
  | 'maintenance'
  | 'move_master'
  | 'rollout'
  | 'shutdown'
  | 'operator'
  | 'other';

export interface LaneTransition {
  at: number;
  director: string;
  from: string;
  to: string;
  reason: string;
  /** When this director last heard another router's advert (the old master's, on a takeover). */
  lastAdvertAt: number | null;
  /** When the kernel confirmed this transition's VIPs added (to MASTER) or removed (from it). */
  vipsAt?: number | null;
  /** The run of the director's agent that made the transition. */
  incarnation?: string;
  eventId: number;
}

/** The latest transition of each director before the window (who held it when the window opens). */
export interface PriorTransition {
  at: number;
  director: string;
  from: string;
  to: string;
  incarnation?: string;
}

/** What happened around a takeover that may explain it (operator actions, config applied). */
export interface CauseHint {
  at: number;
  kind: 'director.maintenance' | 'instance.move_master' | 'config.applied';
  director: string | null;
  /** For instance.move_master: the instance it moved. */
  instance: string | null;
  on?: boolean;
  /**
   * For config.applied: the instances the apply changed (in place, restarted or removed), as the
   * agent reported them; absent when it did not say (every instance may have changed). An agent's
   * first apply at start adds its instances: that is the start, not a rollout.
   */
  changed?: string[];
}

export interface Segment {
  from: number;
  to: number;
  kind: 'held' | 'outage' | 'unknown' | 'split';
  /** The MASTER (held), or every MASTER joined with " + " (split). */
  holder: string | null;
}

/** A split brain the control plane logged for this instance: these directors all reported MASTER. */
export interface SplitBrainMark {
  at: number;
  masters: string[];
}

/** How long after a second master's takeover the split-brain log may come (reports, detection). */
export const SPLIT_DETECTION_MS = 30_000;

export interface LaneFailover {
  /** `failover`: another director took over; `outage`: the same one, after an interval with no holder. */
  kind: 'failover' | 'outage';
  at: number;
  oldMaster: string;
  newMaster: string;
  cause: Cause;
  /** The new master's transition reason, as the agent said it. */
  reason: string;
  /**
   * ms without a master: from the old master's leaving (its VIPs removed, else its transition) or
   * the last advert the new one heard from it, to the new master's VIPs added (else its
   * takeover); null when unknown (an agent that restarted without a word).
   */
  gapMs: number | null;
  eventId: number;
}

export interface LaneInput {
  instance: string;
  since: number;
  until: number;
  prior: PriorTransition[];
  transitions: LaneTransition[];
  hints: CauseHint[];
  splitBrains?: SplitBrainMark[];
  /** When each director last reported (null: never); a silent holder's tenure ends there. */
  lastSeen: Map<string, number | null>;
  /** The freshness rule's clock and window (services/agents/reported.ts). */
  now: number;
  freshMs: number;
}

export interface Lane {
  segments: Segment[];
  failovers: LaneFailover[];
}

const REASON_CAUSE: Record<string, Cause> = {
  preempt: 'higher_priority',
  higher_priority_advert: 'higher_priority',
  master_down_timer: 'master_down',
  priority_zero_received: 'priority_zero',
  tracked_object_failed: 'tracked_object',
  tracked_object_recovered: 'tracked_object',
  interface_down: 'interface',
  interface_up: 'interface',
  admin_request: 'operator',
  shutdown: 'shutdown',
};
/** The old master's own reason for leaving, when it said one, explains more than the takeover's. */
const LEAVE_CAUSE: Record<string, Cause> = {
  tracked_object_failed: 'tracked_object',
  interface_down: 'interface',
  shutdown: 'shutdown',
  admin_request: 'operator',
};
/** How far back an operator action or a config change counts as the reason for a takeover. */
export const ACTION_WINDOW_MS = 30_000;
export const ROLLOUT_WINDOW_MS = 10_000;
/** How far a reported VIP moment may lie from its transition and still be believed. */
const VIPS_LATE_MS = 10_000;
/** How long before a takeover the old master's own leave still explains it. */
const LEAVE_WINDOW_MS = 5_000;

export function causeOf(o: { at: number; reason: string; oldMaster: string; newMaster: string; instance: string; left: { director: string; at: number; reason: string } | null; hints: CauseHint[] }): Cause {
  const recent = (h: CauseHint, ms: number) => h.at <= o.at && o.at - h.at <= ms;
  for (const h of o.hints) {
    if (h.kind === 'director.maintenance' && recent(h, ACTION_WINDOW_MS) && ((h.director === o.oldMaster && h.on === true) || (h.director === o.newMaster && h.on === false))) return 'maintenance';
  }
  if (o.hints.some((h) => h.kind === 'instance.move_master' && h.instance === o.instance && recent(h, ACTION_WINDOW_MS))) return 'move_master';
  if (o.left && o.left.director === o.oldMaster && o.at - o.left.at <= LEAVE_WINDOW_MS && LEAVE_CAUSE[o.left.reason]) return LEAVE_CAUSE[o.left.reason]!;
  if (o.hints.some((h) => h.kind === 'config.applied' && (h.director === o.oldMaster || h.director === o.newMaster) && (!h.changed || h.changed.includes(o.instance)) && recent(h, ROLLOUT_WINDOW_MS))) return 'rollout';
  return REASON_CAUSE[o.reason] ?? 'other';
}

export function buildLane(input: LaneInput): Lane {
  const { since, until } = input;
  const segments: Segment[] = [];
  const failovers: LaneFailover[] = [];
  const push = (from: number, to: number, kind: Segment['kind'], holder: string | null) => {
    const a = Math.max(from, since);
    const b = Math.min(to, until);
    if (b <= a) return;
    const last = segments.at(-1);
    if (last && last.kind === kind && last.holder === holder && last.to === a) last.to = b;
    else segments.push({ from: a, to: b, kind, holder });
  };

  // Who holds it when the window opens: the latest of the directors whose last word was MASTER.
  let holder: string | null = null;
  /** The holder's agent run, when its transitions say. */
  let incarnation: string | undefined;
  let from = since;
  let kind: Segment['kind'] = 'unknown';
  let left: { director: string; at: number; reason: string } | null = null;
  const masters = input.prior.filter((p) => p.to === 'master').sort((a, b) => b.at - a.at);
  if (masters[0]) {
    holder = masters[0].director;
    incarnation = masters[0].incarnation;
    kind = 'held';
  } else {
    const leave = input.prior.filter((p) => p.from === 'master').sort((a, b) => b.at - a.at)[0];
    if (leave) {
      kind = 'outage';
      left = { director: leave.director, at: leave.at, reason: '' };
    }
  }

  const ordered = [...input.transitions].sort((a, b) => a.at - b.at || a.eventId - b.eventId);
  /** Was X's takeover from H a second master (a split brain logged soon after, H not leaving first)? */
  const secondMaster = (t: LaneTransition, h: string): boolean => (input.splitBrains ?? []).some((b) =>
    b.at >= t.at && b.at - t.at <= SPLIT_DETECTION_MS && b.masters.includes(t.director) && b.masters.includes(h)
    && !ordered.some((o) => o.director === h && o.from === 'master' && o.to !== 'master' && o.at >= t.at && o.at <= b.at));
  /** The directors all holding it during a split brain. */
  let split: string[] = [];
  for (const t of ordered) {
    if (t.at < since || t.at > until) continue;
    if (split.length) {
      if (t.to === 'master' && split.includes(t.director)) continue;
      if (t.from === 'master' && t.to !== 'master' && split.includes(t.director)) {
        push(from, t.at, 'split', split.join(' + '));
        split = split.filter((d) => d !== t.director);
        from = t.at;
        if (split.length === 1) {
          holder = split[0]!;
          kind = 'held';
          split = [];
        }
        continue;
      }
      if (t.to !== 'master') continue;
      // Someone else takes over from a split brain: a new holder, no single old master to name.
      push(from, t.at, 'split', split.join(' + '));
      split = [];
      holder = t.director;
      from = t.at;
      kind = 'held';
      left = null;
      continue;
    }
    if (t.to === 'master') {
      const vipsAt = t.vipsAt !== undefined && t.vipsAt !== null && t.vipsAt >= from && t.vipsAt <= t.at + VIPS_LATE_MS ? t.vipsAt : t.at;
      if (holder === t.director) {
        // Master again in a new run of its agent with no leave heard: it went down and came back.
        if (incarnation !== undefined && t.incarnation !== undefined && t.incarnation !== incarnation) {
          failovers.push({ kind: 'outage', at: t.at, oldMaster: t.director, newMaster: t.director, reason: t.reason, eventId: t.eventId, gapMs: null, cause: causeOf({ at: t.at, reason: t.reason, oldMaster: t.director, newMaster: t.director, instance: input.instance, left: null, hints: input.hints }) });
        }
        incarnation = t.incarnation ?? incarnation;
        continue;
      }
      if (holder !== null && secondMaster(t, holder)) {
        push(from, t.at, 'held', holder);
        split = [holder, t.director].sort();
        holder = null;
        from = t.at;
        continue;
      }
      let old: string | null = null;
      let gapFrom: number | null = null;
      if (holder !== null) {
        old = holder;
        // A crashed master says nothing: it was last heard at the new master's lastAdvertAt.
        const heard = t.lastAdvertAt !== null && t.lastAdvertAt >= from && t.lastAdvertAt <= t.at ? t.lastAdvertAt : t.at;
        push(from, heard, 'held', holder);
        push(heard, t.at, 'outage', null);
        gapFrom = heard;
      } else {
        push(from, t.at, kind, null);
        if (kind === 'outage' && left) {
          old = left.director;
          gapFrom = left.at;
        }
      }
      if (old !== null) {
        failovers.push({
          kind: old === t.director ? 'outage' : 'failover',
          at: t.at, oldMaster: old, newMaster: t.director, reason: t.reason, eventId: t.eventId,
          gapMs: gapFrom === null ? null : Math.max(0, vipsAt - gapFrom),
          cause: causeOf({ at: t.at, reason: t.reason, oldMaster: old, newMaster: t.director, instance: input.instance, left, hints: input.hints }),
        });
      }
      holder = t.director;
      incarnation = t.incarnation;
      from = t.at;
      kind = 'held';
      left = null;
    } else if (t.from === 'master' && holder === t.director) {
      push(from, t.at, 'held', holder);
      holder = null;
      from = t.at;
      kind = 'outage';
      // The gap starts when its VIPs left (the kernel's word), not when it said so.
      const gone = t.vipsAt !== undefined && t.vipsAt !== null && Math.abs(t.vipsAt - t.at) <= VIPS_LATE_MS ? t.vipsAt : t.at;
      left = { director: t.director, at: gone, reason: t.reason };
    }
  }

  if (split.length) {
    push(from, until, 'split', split.join(' + '));
    return { segments, failovers };
  }
  // Up to now: a holder that has stopped reporting is not shown holding past its last report.
  const seen = holder === null ? null : input.lastSeen.get(holder) ?? null;
  if (holder !== null && until >= input.now - input.freshMs && (seen === null || input.now - seen >= input.freshMs)) {
    const end = Math.max(from, seen ?? from);
    push(from, end, 'held', holder);
    push(end, until, 'unknown', null);
  } else {
    push(from, until, kind, holder);
  }
  return { segments, failovers };
}
