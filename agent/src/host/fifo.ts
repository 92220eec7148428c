/** keepalived's notify_fifo: one line per transition; a FIFO without a reader is skipped. */
import { appendFileSync, closeSync, constants, openSync, statSync, writeSync } from 'node:fs';

export function fifoWriter(path: string, warn: (m: string) => void): (line: string) => void {
  let warned = false;
  return (line) => {
    try {
      if (statSync(path).isFIFO()) {
        const fd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
        try { writeSync(fd, `${line}\n`); } finally { closeSync(fd); }
      } else appendFileSync(path, `${line}\n`);
      warned = false;
    } catch (e) {
      // No reader yet (ENXIO) or the file went away: keepalived drops the line too. Said once
      // per outage, not once per line.
      if (!warned) warn(`notify_fifo ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; lines are dropped until it is writable`);
      warned = true;
    }
  };
}
