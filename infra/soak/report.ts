/**
 * The soak's one table: per fault kind what happened (count, failovers by cause, client probes
 * failed, the longest outage beside what the timers allow), then the invariants, then memory.
 */
import { PARTITION_HOLD_MS } from './faults.ts';
import type { SoakResult } from './soak.ts';

export interface Timers { advertMs: number; reportIntervalMs: number; masterDownMs: number }

const TIMER_KINDS = new Set(['agent-kill', 'agent-freeze', 'loss-beyond', 'link-flap', 'delay-beyond']);
const GRACEFUL_KINDS = new Set(['agent-term', 'maintenance', 'move-master', 'disk-readonly']);
/** The client's probe timeout: an outage is seen at this resolution at worst. */
export const PROBE_TIMEOUT_MS = 1000;

/**
 * What the timers allow clients to see for a fault kind: a dead master is noticed after the
 * master-down interval (RFC 5798 §6.1); a master that leaves says so (priority 0) and the backup
 * takes over after its skew time (§6.4.2); a fault that must not move a master allows nothing.
 * Each plus the probe's own timeout.
 */
export function outageBoundMs(kind: string, t: Timers): number {
  if (TIMER_KINDS.has(kind)) return t.masterDownMs + PROBE_TIMEOUT_MS;
  // The cut-off director takes over after the master-down interval and announces the VIPs to
  // the clients it can still reach, but not the real servers (the partition cuts every segment
  // of the cluster's VRRP, the inner one too): whatever the clients send it fails until the
  // partition heals and the other side's next advert makes it yield (keepalived alike: split
  // brain by construction).
  if (kind === 'segment-partition') return PARTITION_HOLD_MS - t.masterDownMs + t.advertMs + PROBE_TIMEOUT_MS;
  if (GRACEFUL_KINDS.has(kind)) return ((256 - 100) * t.advertMs) / 256 + PROBE_TIMEOUT_MS;
  return 0;
}

const pad = (s: string | number, n: number) => String(s).padEnd(n);
const lpad = (s: string | number, n: number) => String(s).padStart(n);

export function formatReport(r: Omit<SoakResult, 'table'>, t: Timers): string {
  const lines: string[] = [];
  const mins = (r.endedAt - r.startedAt) / 60_000;
  lines.push(`soak: seed ${r.seed}, ${mins.toFixed(1)} min, ${r.faults.length} faults, ${r.events.stored} events stored, ${r.outages.probes} client probes (${r.outages.failedProbes} failed)`);
  lines.push('');
  lines.push(`${pad('fault', 18)} ${lpad('n', 4)} ${lpad('errors', 6)}  ${pad('failovers (cause × n)', 44)} ${lpad('probes failed', 13)} ${lpad('longest ms', 10)} ${lpad('bound ms', 8)}`);
  const kinds = [...new Set(r.faults.map((f) => f.kind))].sort();
  for (const k of kinds) {
    const fs = r.faults.filter((f) => f.kind === k);
    const causes = Object.entries(r.failovers.causesByKind[k] ?? {}).map(([c, n]) => `${c}×${n}`).join(' ') || '-';
    const o = r.outages.byKind[k] ?? { failedProbes: 0, longestMs: 0 };
    lines.push(`${pad(k, 18)} ${lpad(fs.length, 4)} ${lpad(fs.filter((f) => f.error).length, 6)}  ${pad(causes, 44)} ${lpad(o.failedProbes, 13)} ${lpad(o.longestMs, 10)} ${lpad(Math.round(outageBoundMs(k, t)), 8)}`);
  }
  lines.push('');
  const ev = r.events;
  const sb = r.splitBrain;
  const fo = r.failovers;
  const max = (xs: number[]) => (xs.length ? Math.max(...xs) : 0);
  const check = (ok: boolean) => (ok ? 'ok  ' : 'FAIL');
  lines.push(`${check(ev.lost === 0)} events lost (outbox seq with no stored event): ${ev.lost}; still in an outbox: ${ev.undelivered}`);
  lines.push(`${check(ev.duplicates === 0)} duplicate events: ${ev.duplicates}`);
  lines.push(`${check(ev.chain.ok)} audit chain verifies${ev.chain.checked !== undefined ? ` (${ev.chain.checked} rows)` : ''}${ev.chain.problem ? `: ${ev.chain.problem}` : ''}`);
  lines.push(`${check(fo.false.length === 0)} false failovers: ${fo.false.length}${fo.false.slice(0, 5).map((f) => `\n       ${f.at} ${f.cluster}/${f.instance} ${f.oldMaster}->${f.newMaster} (${f.cause}) ${f.why}`).join('')}`);
  lines.push(`${check(fo.missing.length === 0)} failovers caused and recorded: ${fo.caused}; masters taken with no failover recorded: ${fo.missing.length}${fo.missing.slice(0, 5).map((m) => `\n       ${new Date(m.start).toISOString()} ${m.fault} ${m.target} ${m.instance}`).join('')}`);
  lines.push(`${check(fo.duplicates === 0)} failovers recorded twice: ${fo.duplicates}`);
  lines.push(`${check(fo.wrongCause.length === 0)} failovers with the wrong cause for how their master left (a stop is priority 0, a death is the master-down timer): ${fo.wrongCause.length}`);
  for (const f of fo.wrongCause.slice(0, 10)) lines.push(`       ${f.at} ${f.cluster}/${f.instance} ${f.oldMaster ?? '-'}->${f.newMaster} (${f.cause}) during ${f.fault}: ${f.why}`);
  lines.push(`${check(sb.detected === sb.partitions && max(sb.detectMs) <= 2 * t.reportIntervalMs)} split brain detected: ${sb.detected}/${sb.partitions}, slowest ${max(sb.detectMs)} ms after both sides were master [${sb.detectMs.map((x) => Math.round(x)).join(', ')}] (bound 2 × report interval = ${2 * t.reportIntervalMs} ms)`);
  lines.push(`${check(sb.resolved === sb.partitions && sb.repeated === 0 && sb.spurious === 0)} split brain cleared: ${sb.resolved}/${sb.partitions}, slowest ${max(sb.resolveMs)} ms after the partition ended; logged more than once per episode: ${sb.repeated}; outside any partition: ${sb.spurious}`);
  lines.push(`${check(r.unexpectedRestarts.length === 0)} agents that restarted with no fault restarting them: ${r.unexpectedRestarts.length}${r.unexpectedRestarts.map((u) => ` ${u.director}@${new Date(u.at).toISOString()}`).join('')}`);
  lines.push(`${check(r.notSteady.length === 0)} lab steady after every fault: ${r.faults.length - r.notSteady.length}/${r.faults.length}`);
  lines.push(`     client outages outside any fault: ${r.outages.unexplained.length}${r.outages.unexplained.slice(0, 5).map((o) => ` ${o.vip}@${new Date(o.from).toISOString()} ${o.ms} ms`).join('')}`);
  lines.push('');
  lines.push(`${pad('process run', 26)} ${lpad('samples', 7)} ${lpad('min', 6)} ${lpad('RSS MB', 7)} ${lpad('MB/h', 7)} ${lpad('fds first/last/max', 18)} ${lpad('db conns last/max', 17)}`);
  for (const m of [...r.memory].sort((a, b) => b.spanMin - a.spanMin)) {
    lines.push(`${pad(m.proc, 26)} ${lpad(m.samples, 7)} ${lpad(m.spanMin.toFixed(1), 6)} ${lpad(m.rssMb.toFixed(1), 7)} ${lpad(m.slopeMbPerHour.toFixed(1), 7)} ${lpad(`${m.fdsFirst}/${m.fdsLast}/${m.fdsMax}`, 18)} ${lpad(`${m.fdsLast - m.otherFdsLast}/${m.dbConnsMax}`, 17)}`);
  }
  return lines.join('\n');
}
