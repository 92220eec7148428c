/** The host's log function over a pino logger (fields first, as pino wants them). */
import type { Logger } from 'pino';
import type { HostLog } from './director-host.ts';

export function pinoLog(log: Logger): HostLog {
  return (level, message, fields) => log[level](fields ?? {}, message);
}
