/**
 * keepalived's vrrp_track_process matching, pure: does one process (its `comm` and argv)
 * count for a tracker? keepalived compares the process name with `comm` (15 chars, the
 * kernel's limit) or, with `full_command`, with argv[0]; extra words in `process` are
 * parameters matched per `param_match` (exact by default, `initial` = prefix of the args,
 * `partial` = contained anywhere in them).
 */
import type { TrackProcess } from '../../../schema/src/spec/tracking.ts';

export interface ProcessInfo {
  comm: string;
  argv: string[];
}

export function processMatches(t: Pick<TrackProcess, 'process' | 'paramMatch' | 'fullCommand'>, p: ProcessInfo): boolean {
  const [name = '', ...params] = t.process.split(/\s+/).filter(Boolean);
  const nameOk = t.fullCommand ? p.argv[0] === name : p.comm === name.slice(0, 15) || (p.argv[0] ?? '').split('/').pop() === name;
  if (!nameOk) return false;
  if (params.length === 0) return true;
  const args = p.argv.slice(1);
  const mode = t.paramMatch ?? 'exact';
  if (mode === 'exact') return args.length === params.length && args.every((a, i) => a === params[i]);
  if (mode === 'initial') return params.every((a, i) => args[i] === a);
  return args.join(' ').includes(params.join(' '));
}

/** keepalived's quorum: up while quorum ≤ count ≤ quorum_max. */
export function processQuorumUp(t: Pick<TrackProcess, 'quorum' | 'quorumMax'>, count: number): boolean {
  return count >= t.quorum && (t.quorumMax === undefined || count <= t.quorumMax);
}
