/** The host's log function over a pino logger (fields first, as pino wants them). */
import { writeSync } from 'node:fs';
import type { DestinationStream, Logger } from 'pino';
import type { HostLog } from './director-host.ts';

/**
 * Where the agent's log lines go: stdout, written line by line, and a line stdout refuses (a
 * full disk under a redirected log, a closed pipe, a full non-blocking pipe) is dropped and
 * counted, never thrown: pino's default stream emits 'error' on ENOSPC, which ended the agent
 * (found by the soak: the director kept its VIP with no agent left to give it up).
 */
export function agentLogDestination(fd = 1): DestinationStream & { dropped: number } {
  const d = {
    dropped: 0,
    write(line: string) {
      try {
        writeSync(fd, line);
      } catch {
        d.dropped++;
      }
    },
  };
  return d;
}

export function pinoLog(log: Logger): HostLog {
  return (level, message, fields) => log[level](fields ?? {}, message);
}
