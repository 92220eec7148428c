import { describe, expect, it } from 'vitest';
import { IngestGate } from './ingest-gate.ts';

describe('IngestGate', () => {
  it('answers no room over HTTP past its limit and for a director already in flight', () => {
    const g = new IngestGate(2, 10);
    const a = g.tryEnter('a')!;
    expect(g.tryEnter('a')).toBeUndefined();
    const b = g.tryEnter('b')!;
    expect(g.tryEnter('c')).toBeUndefined();
    a();
    a(); // twice frees once
    expect(g.load).toBe(1);
    expect(g.tryEnter('c')).toBeDefined();
    b();
  });

  it('hands a freed slot straight to the oldest waiter, skipping one whose director is still busy', async () => {
    const g = new IngestGate(64, 2);
    const r1 = (await g.enter('a'))!;
    const r2 = (await g.enter('b'))!;
    const order: string[] = [];
    const wa = g.enter('a').then((r) => { order.push('a'); return r; });
    const wc = g.enter('c').then((r) => { order.push('c'); return r; });
    expect(g.queued).toBe(2);
    r2(); // b leaves: a is still busy, so c goes first
    const rc = (await wc)!;
    expect(order).toEqual(['c']);
    r1(); // now a's second report
    const ra = (await wa)!;
    expect(order).toEqual(['c', 'a']);
    expect(g.load).toBe(2);
    rc();
    ra();
    expect(g.load).toBe(0);
  });

  it('a waiter whose socket went away leaves the queue and gets no slot', async () => {
    const g = new IngestGate(64, 1);
    const r = (await g.enter('a'))!;
    const abort = new AbortController();
    const w = g.enter('b', abort.signal);
    abort.abort();
    expect(await w).toBeUndefined();
    expect(g.queued).toBe(0);
    r();
    expect(g.load).toBe(0);
  });
});
