/**
 * What a run of lab faults means, as pure functions of what it recorded: each fault's window,
 * the failovers the control plane reports, and every client probe through a VIP. Shared by
 * `vigil lab chaos` (the demo pair) and the fleet soak (infra/soak), which adds its own
 * judgement of events, split brain and memory. No I/O here.
 */

/** One injected fault and its window. */
export interface FaultWindow {
  kind: string;
  target: string;
  /** The cluster it touched (undefined: the control plane or its database, every cluster). */
  cluster?: string;
  /** It may move a master; a non-disruptive fault must cause no failover at all. */
  disruptive: boolean;
  /** Instances whose master the fault took away: each must be recorded as a failover. */
  victims: string[];
  /** It splits a VRRP segment (two masters by construction). */
  splitBrain: boolean;
  /** How the fault makes a master leave, when it decides the failover's cause (wrongCause). */
  departure?: Departure;
  start: number;
  /** Healed (the fault's own action is over). */
  end: number;
  /** The lab was steady again (every VIP on one director, every agent up). */
  steadyAt: number;
  error?: string;
}

export interface FailoverRecord { kind: 'failover' | 'outage'; cluster: string; instance: string; oldMaster: string | null; newMaster: string; cause: string; at: string; eventId: number }
export interface Probe { vip: string; at: number; ok: boolean; by?: string; err?: string }

/** A failover inside [start - lead, steadyAt + trail] of a fault is the fault's. */
const LEAD_MS = 1000;
const TRAIL_MS = 3000;

/**
 * A master that stops (SIGTERM, maintenance, a move, a repair) says so with priority 0 (RFC 5798
 * §6.4.2, Shutdown); one that dies, freezes or goes silent cannot.
 */
export type Departure = 'graceful' | 'silent';

/** Why `cause` is the wrong one for a master that left this way, or undefined. */
export function wrongCause(departure: Departure | undefined, cause: string): string | undefined {
  if (departure === 'graceful' && cause === 'master_down_timer') return 'the master stopped and should have sent priority 0, yet its backup waited out the master-down interval';
  if (departure === 'silent' && cause === 'priority_zero_received') return 'the master died or went silent and sent no priority 0, yet one was received';
  return undefined;
}

export interface FailoverVerdict {
  caused: number;
  /** Failovers a fault caused with a cause that fault cannot give (wrongCause). */
  wrongCause: Array<FailoverRecord & { fault: string; why: string }>;
  false: Array<FailoverRecord & { why: string }>;
  duplicates: number;
  /** Masters the lab took away with no failover recorded for them. */
  missing: Array<{ fault: string; start: number; instance: string; target: string }>;
  causesByKind: Record<string, Record<string, number>>;
}

export const windowOf = (f: FaultWindow) => [f.start - LEAD_MS, f.steadyAt + TRAIL_MS] as const;

export function judgeFailovers(faults: FaultWindow[], failovers: FailoverRecord[], since: number): FailoverVerdict {
  const out: FailoverVerdict = { caused: 0, wrongCause: [], false: [], duplicates: 0, missing: [], causesByKind: {} };
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
      const wrong = wrongCause(by.departure, fo.cause);
      if (wrong) out.wrongCause.push({ ...fo, fault: `${by.kind} ${by.target}`, why: wrong });
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
export function attributeOutages(faults: FaultWindow[], list: Outage[]): { byFault: Map<FaultWindow, Outage[]>; unexplained: Outage[] } {
  const byFault = new Map<FaultWindow, Outage[]>();
  const unexplained: Outage[] = [];
  for (const o of list) {
    const f = faults.find((x) => { const [a, b] = windowOf(x); return o.from >= a && o.from <= b; });
    if (f) byFault.set(f, [...(byFault.get(f) ?? []), o]);
    else unexplained.push(o);
  }
  return { byFault, unexplained };
}

/** RFC 5798 §6.1: Skew_Time = ((256 − Priority) × Master_Adver_Interval) / 256. */
export const skewTimeMs = (advertMs: number, priority: number) => ((256 - priority) * advertMs) / 256;
/** RFC 5798 §6.1: Master_Down_Interval = 3 × Master_Adver_Interval + Skew_Time. */
export const masterDownIntervalMs = (advertMs: number, priority: number) => 3 * advertMs + skewTimeMs(advertMs, priority);
