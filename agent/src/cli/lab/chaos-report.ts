/**
 * What a `vigil lab chaos` run means, and its one table: pure functions of the faults it made,
 * the failovers the control plane recorded, the client's requests through the VIP and the audit
 * chain's verification. The unit tests feed it hand-made records.
 */
import { attributeOutages, judgeFailovers, masterDownIntervalMs, outages, skewTimeMs, type FailoverRecord, type FailoverVerdict, type FaultWindow, type Probe } from './judge.ts';

export const CHAOS_KINDS = ['agent-kill', 'agent-term', 'agent-freeze', 'link-flap', 'loss-tolerated'] as const;
export type ChaosKind = (typeof CHAOS_KINDS)[number];

export interface ChaosTimers { advertMs: number; lowestPriority: number; probeTimeoutMs: number }

/**
 * The longest client outage the timers allow a fault of this kind. A master that dies, freezes
 * or loses its link is noticed after the backup's Master_Down_Interval (RFC 5798 §6.1); one that
 * stops says so with priority 0 and the backup takes over after its Skew_Time (§6.4.2); loss the
 * timers tolerate moves no master. Each plus the client's own request deadline, the resolution
 * at which it can see an outage at all.
 */
export function chaosBoundMs(kind: ChaosKind, t: ChaosTimers): number {
  switch (kind) {
    case 'agent-kill': case 'agent-freeze': case 'link-flap': return masterDownIntervalMs(t.advertMs, t.lowestPriority) + t.probeTimeoutMs;
    case 'agent-term': return skewTimeMs(t.advertMs, t.lowestPriority) + t.probeTimeoutMs;
    case 'loss-tolerated': return 0;
  }
}

export interface ChaosFault extends FaultWindow { kind: ChaosKind; note?: string }

export interface ChaosResult {
  seed: number;
  startedAt: number;
  endedAt: number;
  faults: ChaosFault[];
  failovers: FailoverVerdict;
  /** Per fault kind: requests failed and the longest outage the client saw. */
  byKind: Record<string, { faults: number; failedProbes: number; longestMs: number; boundMs: number }>;
  probes: { total: number; failed: number };
  /** Outages no fault explains. */
  unexplained: Array<{ from: number; ms: number; probes: number }>;
  chain: { ok: boolean; mode?: string | undefined; checked: number; problem?: string | undefined };
  notSteady: ChaosFault[];
  passed: boolean;
}

export interface ChaosRecord {
  seed: number;
  startedAt: number;
  endedAt: number;
  faults: ChaosFault[];
  failovers: FailoverRecord[];
  probes: Probe[];
  chain: { ok: boolean; mode?: string | undefined; checked: number; problem?: string | undefined };
}

/** A fault whose lab was not steady again within the wait is marked by steadyAt = end + the wait and an error. */
export function judgeChaos(r: ChaosRecord, t: ChaosTimers): ChaosResult {
  const failovers = judgeFailovers(r.faults, r.failovers, r.startedAt);
  const { byFault, unexplained } = attributeOutages(r.faults, outages(r.probes));
  const byKind: ChaosResult['byKind'] = {};
  for (const f of r.faults) {
    const k = (byKind[f.kind] ??= { faults: 0, failedProbes: 0, longestMs: 0, boundMs: Math.round(chaosBoundMs(f.kind, t)) });
    k.faults++;
    for (const o of byFault.get(f) ?? []) { k.failedProbes += o.probes; k.longestMs = Math.max(k.longestMs, o.ms); }
  }
  const notSteady = r.faults.filter((f) => f.error);
  const passed = failovers.false.length === 0 && failovers.missing.length === 0 && failovers.duplicates === 0 && failovers.wrongCause.length === 0 && r.chain.ok && notSteady.length === 0;
  return {
    seed: r.seed, startedAt: r.startedAt, endedAt: r.endedAt, faults: r.faults, failovers, byKind,
    probes: { total: r.probes.length, failed: r.probes.filter((p) => !p.ok).length },
    unexplained: unexplained.map((o) => ({ from: o.from, ms: o.ms, probes: o.probes })),
    chain: r.chain, notSteady, passed,
  };
}

const pad = (s: string | number, n: number) => String(s).padEnd(n);
const lpad = (s: string | number, n: number) => String(s).padStart(n);
const check = (ok: boolean) => (ok ? 'ok  ' : 'FAIL');

export function formatChaos(r: ChaosResult, vip: string): string {
  const lines: string[] = [];
  const victims = r.faults.reduce((n, f) => n + f.victims.length, 0);
  lines.push(`lab chaos: seed ${r.seed}, ${((r.endedAt - r.startedAt) / 60_000).toFixed(1)} min, ${r.faults.length} faults, ${r.probes.total} client requests through ${vip} (${r.probes.failed} failed)`);
  lines.push('');
  lines.push(`${pad('fault', 16)} ${lpad('n', 3)}  ${pad('failovers recorded (cause × n)', 46)} ${lpad('requests failed', 15)} ${lpad('longest ms', 10)} ${lpad('bound ms', 8)}`);
  for (const kind of CHAOS_KINDS) {
    const k = r.byKind[kind];
    if (!k) continue;
    const causes = Object.entries(r.failovers.causesByKind[kind] ?? {}).map(([c, n]) => `${c}×${n}`).join(' ') || '-';
    lines.push(`${pad(kind, 16)} ${lpad(k.faults, 3)}  ${pad(causes, 46)} ${lpad(k.failedProbes, 15)} ${lpad(k.longestMs, 10)} ${lpad(k.boundMs, 8)}`);
  }
  lines.push('');
  lines.push(`${check(r.failovers.false.length === 0)} false failovers (none of the lab's faults took that master away): ${r.failovers.false.length}`);
  for (const f of r.failovers.false.slice(0, 10)) lines.push(`       ${f.at} ${f.instance} ${f.oldMaster ?? '-'} -> ${f.newMaster} (${f.cause}): ${f.why}`);
  lines.push(`${check(r.failovers.missing.length === 0)} masters the lab took away and the control plane recorded: ${victims - r.failovers.missing.length}/${victims}`);
  for (const m of r.failovers.missing.slice(0, 10)) lines.push(`       ${new Date(m.start).toISOString()} ${m.fault} ${m.target}: no failover of ${m.instance} recorded`);
  lines.push(`${check(r.failovers.wrongCause.length === 0)} failovers with the wrong cause for how their master left: ${r.failovers.wrongCause.length}`);
  for (const f of r.failovers.wrongCause.slice(0, 10)) lines.push(`       ${f.at} ${f.instance} ${f.oldMaster ?? '-'} -> ${f.newMaster} (${f.cause}) during ${f.fault}: ${f.why}`);
  lines.push(`${check(r.failovers.duplicates === 0)} failovers listed twice: ${r.failovers.duplicates}`);
  lines.push(`${check(r.chain.ok)} the audit chain verifies${r.chain.ok ? ` (${r.chain.checked} rows ${r.chain.mode === 'full' ? 'from the first' : 'since the newest signed checkpoint'})` : `: ${r.chain.problem ?? 'no reason given'}`}`);
  lines.push(`${check(r.notSteady.length === 0)} the lab steady again after every fault: ${r.faults.length - r.notSteady.length}/${r.faults.length}`);
  for (const f of r.notSteady.slice(0, 10)) lines.push(`       ${new Date(f.start).toISOString()} ${f.kind} ${f.target}: ${f.error}`);
  lines.push(`     client outages outside any fault: ${r.unexplained.length}${r.unexplained.length ? ` (longest ${Math.max(...r.unexplained.map((o) => o.ms))} ms)` : ''}`);
  lines.push('');
  lines.push(r.passed ? 'lab chaos: every check held' : 'lab chaos: CHECKS FAILED');
  return `${lines.join('\n')}\n`;
}
