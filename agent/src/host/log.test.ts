import { closeSync, openSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { agentLogDestination, jsonLog } from './log.ts';

const capture = () => {
  const lines: string[] = [];
  return { lines, dest: { dropped: 0, write: (l: string) => { lines.push(l); } } };
};

describe('agentLogDestination', () => {
  it('a log line the output refuses (ENOSPC: /dev/full) is dropped and counted, never thrown', () => {
    const fd = openSync('/dev/full', 'w');
    try {
      const dest = agentLogDestination(fd);
      const log = jsonLog({}, dest);
      expect(() => { log('error', 'disk full'); log('info', 'still running'); }).not.toThrow();
      expect(dest.dropped).toBe(2);
    } finally {
      closeSync(fd);
    }
  });
});

describe('jsonLog', () => {
  it('writes pino\'s line shape: level number, time, base, fields, msg; one object per line', () => {
    const { lines, dest } = capture();
    const log = jsonLog({ component: 'agent', director: 'lb1' }, dest, () => 1_796_000_000_000);
    log('info', 'VI_1: INIT -> BACKUP (startup)', { instance: 'VI_1', priority: 100 });
    log('warn', 'w');
    log('error', 'e', { err: 'boom' });
    expect(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n'))).toBe(true);
    const [a, b, c] = lines.map((l) => JSON.parse(l));
    expect(a).toEqual({ level: 30, time: 1_796_000_000_000, component: 'agent', director: 'lb1', instance: 'VI_1', priority: 100, msg: 'VI_1: INIT -> BACKUP (startup)' });
    expect(Object.keys(a)).toEqual(['level', 'time', 'component', 'director', 'instance', 'priority', 'msg']);
    expect([b.level, c.level, c.err]).toEqual([40, 50, 'boom']);
  });

  it('an Error field is written as {type, message, stack}; a bigint as its digits; a message with quotes and newlines stays one line', () => {
    const { lines, dest } = capture();
    jsonLog({}, dest)('error', 'line one\nline "two"', { err: new TypeError('bad'), bytes: 2n ** 70n });
    const o = JSON.parse(lines[0]!);
    expect(o.msg).toBe('line one\nline "two"');
    expect(o.err).toMatchObject({ type: 'TypeError', message: 'bad' });
    expect(o.err.stack).toContain('TypeError: bad');
    expect(o.bytes).toBe('1180591620717411303424');
    expect(lines[0]!.split('\n')).toHaveLength(2);
  });

  it('fields that cannot be serialised (a cycle) still give the line, with why its fields are missing; the caller is not thrown at', () => {
    const { lines, dest } = capture();
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(() => jsonLog({ director: 'lb1' }, dest)('warn', 'odd', { cyclic })).not.toThrow();
    const o = JSON.parse(lines[0]!);
    expect(o).toMatchObject({ level: 40, director: 'lb1', msg: 'odd' });
    expect(o.logFieldsDropped).toMatch(/circular/i);
    expect(o.cyclic).toBeUndefined();
  });
});
