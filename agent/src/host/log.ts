/**
 * The agent's log: one JSON object per line on stdout, in pino's shape (`level` 30/40/50,
 * `time` in ms since the epoch, the base fields, the call's fields, `msg`), so the control
 * plane's logs and the agent's read alike and tools that parse pino lines parse these.
 *
 * Not pino itself: loading it (and thread-stream, sonic-boom, its serializers) was ~15 ms of the
 * agent's ~300 ms from spawn to BACKUP, for what is three levels and a JSON.stringify here.
 */
import { writeSync } from 'node:fs';
import type { HostLog } from './director-host.ts';

/** pino's level numbers. */
const LEVEL = { info: 30, warn: 40, error: 50 } as const;

/**
 * Where the agent's log lines go: stdout, written line by line, and a line stdout refuses (a
 * full disk under a redirected log, a closed pipe, a full non-blocking pipe) is dropped and
 * counted, never thrown (found by the soak: an agent ended by ENOSPC on its log kept its VIP
 * with nobody left to give it up).
 */
export interface LogDestination { write(line: string): void; dropped: number }

export function agentLogDestination(fd = 1): LogDestination {
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

/** An Error as pino's err serializer writes it; a bigint as its digits (JSON has none). */
function replacer(_key: string, v: unknown): unknown {
  if (v instanceof Error) return { type: v.name, message: v.message, ...(v.stack && { stack: v.stack }) };
  if (typeof v === 'bigint') return v.toString();
  return v;
}

/**
 * A HostLog writing JSON lines with `base` on each. A line whose fields cannot be serialised (a
 * cycle) is still written, with its message and why its fields are missing: a log call never
 * throws into the code that made it.
 */
export function jsonLog(base: Record<string, unknown>, dest: LogDestination = agentLogDestination(), now: () => number = Date.now): HostLog {
  return (level, message, fields) => {
    const head = { level: LEVEL[level], time: now(), ...base };
    let line: string;
    try {
      line = JSON.stringify({ ...head, ...fields, msg: message }, replacer);
    } catch (e) {
      line = JSON.stringify({ ...head, msg: message, logFieldsDropped: (e as Error).message });
    }
    dest.write(`${line}\n`);
  };
}
