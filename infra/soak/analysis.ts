/**
 * What a soak run means, as pure functions of what it recorded: the faults with their windows,
 * the failovers the control plane reports, its split-brain events, every client probe, the
 * stored event sequences against each agent's outbox, and the memory samples. No I/O here: the
 * orchestrator (soak.ts) collects, this judges, and the unit tests feed it hand-made records.
 */
import type { FaultKind, FaultOutcome } from './faults.ts';

export interface FaultRecord extends FaultOutcome {
  kind: FaultKind;
  start: number;
  /** Healed (the fault's own action is over). */
  end: number;
  /** The lab was steady again (every VIP on one director, every agent up). */
  steadyAt: number;
  error?: string;
}

export interface FailoverRecord { kind: 'failover' | 'outage'; cluster: string; instance: string; oldMaster: string | null; newMaster: string; cause: string; at: string; eventId: number }
export interface SplitBrainEvent { kind: 'vrrp.split_brain' | 'vrrp.split_brain_resolved'; cluster: string; instance: string; receivedAt: string }
export interface Probe { vip: string; at: number; ok: boolean }
export interface MemSample { proc: string; at: number; rssKb: number; fds: number }
export interface SeqRecord { director: string; outboxLast: number; outboxAcked: number; stored: number[] }

/** A failover inside [start - lead, steadyAt + trail] of a fault is the fault's. */
const LEAD_MS = 1000;
const TRAIL_MS = 3000;

export interface FailoverVerdict {
  caused: number;
  false: Array<FailoverRecord & { why: string }>;
  duplicates: number;
  /** Masters the lab took away with no failover recorded for them. */
  missing: Array<{ fault: FaultKind; start: number; instance: string; target: string }>;
  causesByKind: Record<string, Record<string, number>>;
}

const windowOf = (f: FaultRecord) => [f.start - LEAD_MS, f.steadyAt + TRAIL_MS] as const;

export function judgeFailovers(faults: FaultRecord[], failovers: FailoverRecord[], since: number): FailoverVerdict {
  const out: FailoverVerdict = { caused: 0, false: [], duplicates: 0, missing: [], causesByKind: {} };
  const seen = new Set<number>();
  for (const fo of failovers) {
    if (seen.has(fo.eventId)) { out.duplicates++; continue; }
    seen.add(fo.eventId);
    const at = Date.parse(fo.at);
    if (at < since) continue;
    const inWindow = faults.filter((f) => { const [a, b] = windowOf(f); return at >= a && at <= b; });
    const mine = inWindow.filter((f) => f.cluster === undefined || f.cluster === fo.cluster);
    // A fault that took masters away explains failovers of those instances (away and back);
    // one that split a segment explains any in its cluster. A failover of an instance whose
    // master the fault never touched (a frozen backup taking over on resume) is a false one.
    const by = mine.find((f) => f.disruptive && f.cluster === fo.cluster && (f.splitBrain || f.victims.includes(fo.instance)));
    if (by) {
      out.caused++;
      const k = (out.causesByKind[by.kind] ??= {});
      k[fo.cause] = (k[fo.cause] ?? 0) + 1;
      continue;
    }
    const why = mine.length ? `during ${mine.map((f) => `${f.kind} ${f.target}`).join(', ')}, which took no master of ${fo.instance} away` : 'outside every fault';
    out.false.push({ ...fo, why });
  }
  for (const f of faults) {
    const [a, b] = windowOf(f);
    for (const instance of f.victims) {
      const hit = failovers.some((fo) => fo.cluster === f.cluster && fo.instance === instance && Date.parse(fo.at) >= a && Date.parse(fo.at) <= b);
      if (!hit) out.missing.push({ fault: f.kind, start: f.start, instance, target: f.target });
    }
  }
  return out;
}

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

/** A fault's split-brain events: in its cluster, from its window's start to 30 s after its end (reports trail). */
const splitEventsOf = (f: FaultRecord, events: SplitBrainEvent[]) => {
  const [a, b] = windowOf(f);
  return events.filter((e) => e.cluster === f.cluster && Date.parse(e.receivedAt) >= a && Date.parse(e.receivedAt) <= b + 30_000);
};

export function judgeSplitBrain(faults: FaultRecord[], events: SplitBrainEvent[], masterDownMs: number, advertMs = 0): SplitBrainVerdict {
  const v: SplitBrainVerdict = { partitions: 0, detected: 0, detectMs: [], resolved: 0, resolveMs: [], repeated: 0, spurious: 0 };
  const used = new Set<SplitBrainEvent>();
  for (const f of faults.filter((x) => x.splitBrain)) {
    v.partitions++;
    const mine = splitEventsOf(f, events);
    for (const e of mine) used.add(e);
    const starts = mine.filter((e) => e.kind === 'vrrp.split_brain');
    const first = starts.sort((x, y) => Date.parse(x.receivedAt) - Date.parse(y.receivedAt))[0];
    if (first) {
      v.detected++;
      v.detectMs.push(Date.parse(first.receivedAt) - (f.start - advertMs + masterDownMs));
    }
    const perInstance = new Map<string, number>();
    for (const e of starts) perInstance.set(e.instance, (perInstance.get(e.instance) ?? 0) + 1);
    for (const n of perInstance.values()) if (n > 1) v.repeated += n - 1;
    const resolvedAll = [...perInstance.keys()].map((i) => mine.find((e) => e.kind === 'vrrp.split_brain_resolved' && e.instance === i && Date.parse(e.receivedAt) >= f.end));
    if (first && resolvedAll.every(Boolean)) {
      v.resolved++;
      v.resolveMs.push(Math.max(...resolvedAll.map((e) => Date.parse(e!.receivedAt) - f.end)));
    }
  }
  // A fault that can leave a second master for a moment explains a split brain in its window.
  for (const f of faults.filter((x) => x.secondMaster)) for (const e of splitEventsOf(f, events)) used.add(e);
  v.spurious = events.filter((e) => !used.has(e) && e.kind === 'vrrp.split_brain').length;
  return v;
}

export interface Outage { vip: string; from: number; ms: number; probes: number }

/** Runs of failed probes per VIP: from the first failure to the next success. */
export function outages(probes: Probe[]): Outage[] {
  const byVip = new Map<string, Probe[]>();
  for (const p of probes) byVip.set(p.vip, [...(byVip.get(p.vip) ?? []), p]);
  const out: Outage[] = [];
  for (const [vip, ps] of byVip) {
    ps.sort((a, b) => a.at - b.at);
    let run: Outage | undefined;
    for (const p of ps) {
      if (!p.ok) {
        run ??= { vip, from: p.at, ms: 0, probes: 0 };
        run.probes++;
      } else if (run) {
        run.ms = p.at - run.from;
        out.push(run);
        run = undefined;
      }
    }
    if (run) { run.ms = ps[ps.length - 1]!.at - run.from; out.push(run); }
  }
  return out;
}

/** Outages attributed to the fault whose window holds their start; the rest are unexplained. */
export function attributeOutages(faults: FaultRecord[], list: Outage[]): { byFault: Map<FaultRecord, Outage[]>; unexplained: Outage[] } {
  const byFault = new Map<FaultRecord, Outage[]>();
  const unexplained: Outage[] = [];
  for (const o of list) {
    const f = faults.find((x) => { const [a, b] = windowOf(x); return o.from >= a && o.from <= b; });
    if (f) byFault.set(f, [...(byFault.get(f) ?? []), o]);
    else unexplained.push(o);
  }
  return { byFault, unexplained };
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

export interface MemoryTrend { proc: string; samples: number; spanMin: number; rssMb: number; slopeMbPerHour: number; growthMb: number; fdsFirst: number; fdsLast: number; fdsMax: number }

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
    });
  }
  return out;
}
