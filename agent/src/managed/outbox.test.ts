import { mkdtempSync, readFileSync, rmSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Outbox } from './outbox.ts';

const ev = (kind: string) => ({ kind, agentTime: '2026-11-29T10:00:00.000Z', details: {} });

describe('Outbox', () => {
  const dirs: string[] = [];
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), 'vigil-outbox-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('numbers events, keeps them across a restart until acked, and never reuses a number', () => {
    const d = dir();
    let o = new Outbox(d);
    expect([o.append(ev('a')).seq, o.append(ev('b')).seq, o.append(ev('c')).seq]).toEqual([1, 2, 3]);
    o.ack(2);
    o.close();
    o = new Outbox(d); // a restart (or a crash after the fsync)
    expect(o.pending().map((e) => [e.seq, e.kind])).toEqual([[3, 'c']]);
    expect(o.append(ev('d')).seq).toBe(4);
    o.ack(4);
    expect(o.size).toBe(0);
    o.close();
    o = new Outbox(d);
    expect(o.pending()).toEqual([]);
    expect(o.append(ev('e')).seq).toBe(5);
    o.close();
  });

  it('a line torn by a crash mid-write is skipped; the rest survive', () => {
    const d = dir();
    const o = new Outbox(d);
    o.append(ev('a'));
    o.close();
    appendFileSync(join(d, 'outbox.jsonl'), '{"seq":2,"kind":"b","agentT');
    const again = new Outbox(d);
    expect(again.pending().map((e) => e.kind)).toEqual(['a']);
    expect(again.append(ev('c')).seq).toBe(2);
    again.close();
  });

  it('compacts the file once everything is acked, keeping the sequence', () => {
    const d = dir();
    const o = new Outbox(d);
    const big = { kind: 'x', agentTime: '2026-11-29T10:00:00.000Z', details: { pad: 'y'.repeat(1000) } };
    for (let i = 0; i < 300; i++) o.append(big);
    o.ack(300);
    expect(readFileSync(join(d, 'outbox.jsonl'), 'utf8')).toBe('');
    expect(o.append(ev('next')).seq).toBe(301);
    o.close();
    expect(new Outbox(d).pending().map((e) => e.seq)).toEqual([301]);
  });
});
