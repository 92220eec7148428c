/**
 * What a soak run means, as pure functions of what it recorded: the faults with their windows,
 * the failovers the control plane reports, its split-brain events, every client probe, the
 * stored event sequences against each agent's outbox, and the memory samples. No I/O here: the
 * orchestrator (soak.ts) collects, this judges, and the unit tests feed it hand-made records.
 */
import { windowOf, type FaultWindow } from '#agent/cli/lab/judge.ts';
import type { FaultKind, FaultOutcome } from './faults.ts';

// Failovers and client outages are judged as `vigil lab chaos` judges them.
export { attributeOutages, judgeFailovers, outages, type FailoverRecord, type FailoverVerdict, type Outage, type Probe } from '#agent/cli/lab/judge.ts';

export interface FaultRecord extends FaultOutcome, FaultWindow {
  kind: FaultKind;
}

export interface SplitBrainEvent { kind: 'vrrp.split_brain' | 'vrrp.split_brain_resolved'; cluster: string; instance: string; receivedAt: string }
/** `dbConns`: how many of the `fds` are connections to the database (a pool opening one on demand is not a leak). */
export interface MemSample { proc: string; at: number; rssKb: number; fds: number; dbConns: number }
export interface SeqRecord { director: string; outboxLast: number; outboxAcked: number; stored: number[] }

export interface SplitBrainVerdict {
  partitions: number;
  detected: number;
  /**
   * ms from both sides being master to the event, per partition. "Both master" is taken at its
   * earliest: the cut-off side last heard an advert up to one interval before the partition
   * began, and takes over a master-down interval after that advert (so this over-states the
   * delay by up to one interval, never under-states it).
   */
  detectMs: number[];
  resolved: number;
  resolveMs: number[];
  /** More than one split-brain event for one instance in one episode. */
  repeated: number;
  /** Split-brain events outside every partition. */
  spurious: number;
}

/** Where a fault's split-brain reports may land: its window, and 30 s after it (reports trail). */
export const splitWindowOf = (f: FaultRecord): readonly [number, number] => {
  const [a, b] = windowOf(f);
  return [a, b + 30_000];
};

/**
 * A fault's split-brain events: in its cluster and its split window, or up to the start of the
 * next fault that splits the same cluster, whichever is first: two partitions of one cluster
 * back to back are two episodes, not one logged twice.
 */
const splitEventsOf = (f: FaultRecord, events: SplitBrainEvent[], faults: FaultRecord[] = []) => {
  const [a, b] = splitWindowOf(f);
  const next = faults.filter((x) => x !== f && x.splitBrain && x.cluster === f.cluster && x.start > f.start).map((x) => windowOf(x)[0]);
  const until = Math.min(b, ...next.map((n) => n - 1));
  return events.filter((e) => e.cluster === f.cluster && Date.parse(e.receivedAt) >= a && Date.parse(e.receivedAt) <= until);
};

export function judgeSplitBrain(faults: FaultRecord[], events: SplitBrainEvent[], masterDownMs: number, advertMs = 0): SplitBrainVerdict {
  const v: SplitBrainVerdict = { partitions: 0, detected: 0, detectMs: [], resolved: 0, resolveMs: [], repeated: 0, spurious: 0 };
  const used = new Set<SplitBrainEvent>();
  const at = (e: SplitBrainEvent) => Date.parse(e.receivedAt);
  for (const f of faults.filter((x) => x.splitBrain)) {
    v.partitions++;
    const inWindow = splitEventsOf(f, events, faults).sort((x, y) => at(x) - at(y));
    // An instance's episode ends with its first resolution after the heal: a split brain it
    // reports later in the window is a new episode (another fault's second master, or a stray),
    // judged by the pass below, not this partition logged twice.
    const healedAt = new Map<string, number>();
    for (const e of inWindow) {
      if (e.kind === 'vrrp.split_brain_resolved' && at(e) >= f.end && !healedAt.has(e.instance)) healedAt.set(e.instance, at(e));
    }
    const mine = inWindow.filter((e) => at(e) <= (healedAt.get(e.instance) ?? Infinity));
    for (const e of mine) used.add(e);
    const starts = mine.filter((e) => e.kind === 'vrrp.split_brain');
    const first = starts[0];
    if (first) {
      v.detected++;
      v.detectMs.push(at(first) - (f.start - advertMs + masterDownMs));
    }
    const perInstance = new Map<string, number>();
    for (const e of starts) perInstance.set(e.instance, (perInstance.get(e.instance) ?? 0) + 1);
    for (const n of perInstance.values()) if (n > 1) v.repeated += n - 1;
    const resolvedAll = [...perInstance.keys()].map((i) => mine.find((e) => e.kind === 'vrrp.split_brain_resolved' && e.instance === i && at(e) >= f.end));
    if (first && resolvedAll.every(Boolean)) {
      v.resolved++;
      v.resolveMs.push(Math.max(...resolvedAll.map((e) => at(e!) - f.end)));
    }
  }
  // A fault that can leave a second master for a moment explains a split brain in its window.
  for (const f of faults.filter((x) => x.secondMaster)) for (const e of splitEventsOf(f, events)) used.add(e);
  v.spurious = events.filter((e) => !used.has(e) && e.kind === 'vrrp.split_brain').length;
  return v;
}

export interface EventVerdict { directors: number; lost: number; duplicates: number; undelivered: number; detail: Array<{ director: string; lost: number[]; duplicates: number; undelivered: number }> }

/**
 * Lost: a sequence number the agent's outbox handed out (1..last) with no stored event.
 * Duplicates: one (director, seq) stored twice. Undelivered: still in the outbox at the end.
 */
export function judgeEvents(records: SeqRecord[]): EventVerdict {
  const v: EventVerdict = { directors: records.length, lost: 0, duplicates: 0, undelivered: 0, detail: [] };
  for (const r of records) {
    const have = new Set(r.stored);
    const duplicates = r.stored.length - have.size;
    const lost: number[] = [];
    for (let s = 1; s <= r.outboxAcked; s++) if (!have.has(s)) lost.push(s);
    const undelivered = Math.max(0, r.outboxLast - r.outboxAcked);
    v.lost += lost.length;
    v.duplicates += duplicates;
    v.undelivered += undelivered;
    v.detail.push({ director: r.director, lost: lost.slice(0, 20), duplicates, undelivered });
  }
  return v;
}

export interface MemoryTrend {
  proc: string; samples: number; spanMin: number; rssMb: number; slopeMbPerHour: number; growthMb: number;
  fdsFirst: number; fdsLast: number; fdsMax: number;
  /** File descriptors other than database connections, first and last: what a leak shows in. */
  otherFdsFirst: number; otherFdsLast: number;
  /** The most database connections held at once (bounded by the pools' sizes). */
  dbConnsMax: number;
}

/**
 * Per process run (a restarted agent is a new run): least-squares slope of RSS after a warm-up
 * (the first `warmupMs` of each run: JIT, caches, pools filling), and its fd counts.
 */
export function memoryTrends(samples: MemSample[], warmupMs: number): MemoryTrend[] {
  const byProc = new Map<string, MemSample[]>();
  for (const s of samples) byProc.set(s.proc, [...(byProc.get(s.proc) ?? []), s]);
  const out: MemoryTrend[] = [];
  for (const [proc, all] of byProc) {
    all.sort((a, b) => a.at - b.at);
    const xs = all.filter((s) => s.at >= all[0]!.at + warmupMs);
    if (xs.length < 3) continue;
    const n = xs.length;
    const mx = xs.reduce((a, s) => a + s.at, 0) / n;
    const my = xs.reduce((a, s) => a + s.rssKb, 0) / n;
    let num = 0;
    let den = 0;
    for (const s of xs) { num += (s.at - mx) * (s.rssKb - my); den += (s.at - mx) ** 2; }
    const slopeKbPerMs = den === 0 ? 0 : num / den;
    out.push({
      proc, samples: n, spanMin: (xs[n - 1]!.at - xs[0]!.at) / 60_000, rssMb: xs[n - 1]!.rssKb / 1024,
      slopeMbPerHour: (slopeKbPerMs * 3_600_000) / 1024,
      growthMb: (xs[n - 1]!.rssKb - xs[0]!.rssKb) / 1024,
      fdsFirst: xs[0]!.fds, fdsLast: xs[n - 1]!.fds, fdsMax: Math.max(...xs.map((s) => s.fds)),
      otherFdsFirst: xs[0]!.fds - xs[0]!.dbConns, otherFdsLast: xs[n - 1]!.fds - xs[n - 1]!.dbConns,
      dbConnsMax: Math.max(...xs.map((s) => s.dbConns)),
    });
  }
  return out;
}
