/**
 * Served inside a lab namespace by checks-probes.test.ts: runs real-server probes from there.
 */
import type { Checker } from '#schema';
import { createProber } from '#agent/checks/probes/index.ts';
import { openEchoSocket } from '#agent/checks/probes/ping.ts';
import type { ProbeResult } from '#agent/checks/probe.ts';

export function serve() {
  const probe = createProber({ readTrackFile: () => undefined });
  return {
    probe: (checker: Checker, target: { address: string; port: number }, timeoutMs: number): Promise<ProbeResult> =>
      probe(checker, target, { timeoutMs, signal: new AbortController().signal }),
    /** Which ICMP socket PING_CHECK gets here ('ping-socket' or 'raw-socket'). */
    echoSocketKind: (family: 4 | 6): string => {
      const s = openEchoSocket(family, {});
      s.socket.close();
      return s.kind;
    },
  };
}
