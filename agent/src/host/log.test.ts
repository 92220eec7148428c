import { closeSync, openSync } from 'node:fs';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { agentLogDestination } from './log.ts';

describe('agentLogDestination', () => {
  it('a log line the output refuses (ENOSPC: /dev/full) is dropped and counted, never thrown', () => {
    const fd = openSync('/dev/full', 'w');
    try {
      const dest = agentLogDestination(fd);
      const log = pino({}, dest);
      expect(() => { log.error('disk full'); log.info('still running'); }).not.toThrow();
      expect(dest.dropped).toBe(2);
    } finally {
      closeSync(fd);
    }
  });
});
