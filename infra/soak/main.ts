/**
 * `npm run soak -- --minutes=N [--seed=S] [--faults=kind,kind]` (root): runs the soak lab under
 * faults for N minutes and prints its table; exits 1 if any invariant failed. `--hours=H` is
 * the same in hours. The same run is `npm run bench -- soak --minutes=N`.
 */
import { parseArgs } from 'node:util';
import { FAULT_KINDS, type FaultKind } from './faults.ts';
import { runSoak, type SoakResult } from './soak.ts';
import { REPORT_INTERVAL_MS } from './topology.ts';
import { DEFAULT_MAX_CONNECTIONS, INGEST_LANE_CONNECTIONS } from '../../control-plane/src/db.ts';

export function parseSoakArgs(argv: string[]): { minutes: number; seed: number; kinds?: FaultKind[] } {
  const { values } = parseArgs({ args: argv, options: { minutes: { type: 'string' }, hours: { type: 'string' }, seed: { type: 'string' }, faults: { type: 'string' } }, allowPositionals: true });
  const minutes = values.hours !== undefined ? Number(values.hours) * 60 : Number(values.minutes ?? 5);
  if (!Number.isFinite(minutes) || minutes < 1 || minutes > 7 * 24 * 60) throw new Error(`--minutes must be 1..10080 (or --hours), got ${values.minutes ?? values.hours}`);
  const seed = Number(values.seed ?? 16);
  if (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 32 - 1) throw new Error(`--seed must be an integer 0..2^32-1, got ${values.seed}`);
  const kinds = values.faults?.split(',').map((k) => k.trim()).filter(Boolean);
  const bad = kinds?.filter((k) => !(FAULT_KINDS as readonly string[]).includes(k));
  if (bad?.length) throw new Error(`--faults: unknown kind ${bad.join(', ')}; known: ${FAULT_KINDS.join(', ')}`);
  return { minutes, seed, ...(kinds ? { kinds: kinds as FaultKind[] } : {}) };
}

/** RSS growth a process run of at least LONG_RUN_MIN minutes may show (the "< 5 MB/h"). */
export const MAX_MB_PER_HOUR = 5;
export const LONG_RUN_MIN = 30;
/**
 * File descriptors other than database connections a process may hold at the end beyond its
 * first sample (a socket being reopened). Database connections are judged on their own: a pool
 * opens them as load needs them (after a failover's burst, say), never more than its size.
 */
export const FD_GROWTH = 4;
/** The control plane's two pools at their default sizes: more connections at once is a leak. */
export const DB_CONNS_MAX = DEFAULT_MAX_CONNECTIONS + INGEST_LANE_CONNECTIONS;

/** Whether every invariant the soak asserts holds. */
export function soakPassed(r: SoakResult): boolean {
  return r.events.lost === 0 && r.events.duplicates === 0 && r.events.undelivered === 0 && r.events.chain.ok && r.failovers.false.length === 0
    && r.failovers.missing.length === 0 && r.failovers.duplicates === 0 && r.failovers.wrongCause.length === 0 && r.splitBrain.detected === r.splitBrain.partitions
    && r.splitBrain.resolved === r.splitBrain.partitions && r.splitBrain.repeated === 0 && r.splitBrain.spurious === 0
    && r.splitBrain.detectMs.every((ms) => ms <= 2 * REPORT_INTERVAL_MS)
    && r.unexpectedRestarts.length === 0 && r.notSteady.length === 0
    && r.faults.every((f) => !f.error)
    && r.memory.every((m) => m.otherFdsLast - m.otherFdsFirst <= FD_GROWTH && m.dbConnsMax <= DB_CONNS_MAX && (m.spanMin < LONG_RUN_MIN || m.slopeMbPerHour < MAX_MB_PER_HOUR));
}

export async function main(argv: string[]): Promise<number> {
  const o = parseSoakArgs(argv);
  // Ctrl-C ends the faults, and the run is judged and its lab removed as at its end; a second
  // one leaves at once (the lab's namespaces and processes stay: their prefix is in the log).
  const stop = new AbortController();
  const onSignal = () => {
    if (stop.signal.aborted) process.exit(130);
    console.error('soak: stopping after the current fault (again to leave at once)');
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const r = await runSoak({ ...o, signal: stop.signal });
  console.log(r.table);
  const ok = soakPassed(r);
  console.log(ok ? '\nsoak: every invariant held' : '\nsoak: INVARIANTS FAILED');
  return ok ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (e: Error) => { console.error(e.message); process.exit(2); });
}
