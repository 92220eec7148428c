/**
 * Every checker type's probe, and one `Probe<Checker>` that dispatches on `type`. The
 * scheduler calls this (from a worker thread or the main loop: probes share no state).
 *
 * @example
 *   const probe = createProber({ readTrackFile: tracker.read });
 *   const r = await probe(checker, { address: rs.address, port: rs.port }, { timeoutMs: 5000, signal });
 */
import type { Checker, CheckerType } from '#schema';
import type { Probe } from '../probe.ts';
import { probeDns } from './dns.ts';
import { createFileProbe, type TrackFileReader } from './file.ts';
import { probeHttpGet, probeSslGet } from './http.ts';
import { probeMisc } from './misc.ts';
import { probePing } from './ping.ts';
import { probeSmtp } from './smtp.ts';
import { probeTcp } from './tcp.ts';
import { probeUdp } from './udp.ts';

export type ProbeTable = { [K in CheckerType]: Probe<Extract<Checker, { type: K }>> };

export interface ProberDeps {
  /** Current values of the track_files, for FILE_CHECK. */
  readTrackFile: TrackFileReader;
}

export function createProbeTable(deps: ProberDeps): ProbeTable {
  return {
    TCP_CHECK: probeTcp,
    HTTP_GET: probeHttpGet,
    SSL_GET: probeSslGet,
    MISC_CHECK: probeMisc,
    DNS_CHECK: probeDns,
    SMTP_CHECK: probeSmtp,
    UDP_CHECK: probeUdp,
    PING_CHECK: probePing,
    FILE_CHECK: createFileProbe(deps.readTrackFile),
  };
}

/** One probe for any checker. */
export function createProber(deps: ProberDeps): Probe<Checker> {
  const table = createProbeTable(deps);
  return (checker, target, opts) => (table[checker.type] as Probe<Checker>)(checker, target, opts);
}

export { probeDns, probeHttpGet, probeMisc, probePing, probeSmtp, probeSslGet, probeTcp, probeUdp, createFileProbe };
export { withVirtualhost } from './http.ts';
export { fileSystemTrackFileReader, type TrackFileReader, type TrackFileState } from './file.ts';
