import { describe, expect, it } from 'vitest';
import { HandshakeGate } from './handshake-gate.ts';

const flush = () => new Promise((r) => setImmediate(r));

describe('HandshakeGate', () => {
  it('runs at most maxActive at once; the rest wait in arrival order and each release passes the turn on', async () => {
    const gate = new HandshakeGate(2, 10);
    const order: number[] = [];
    const releases: (() => void)[] = [];
    for (let i = 0; i < 5; i++) void gate.enter()!.then((release) => { order.push(i); releases.push(release); });
    await flush();
    expect(order).toEqual([0, 1]);
    expect([gate.running, gate.waiting]).toEqual([2, 3]);
    releases[1]!();
    await flush();
    expect(order).toEqual([0, 1, 2]);
    expect([gate.running, gate.waiting]).toEqual([2, 2]);
    releases[0]!();
    releases[2]!();
    await flush();
    expect(order).toEqual([0, 1, 2, 3, 4]);
    releases[3]!();
    releases[4]!();
    expect([gate.running, gate.waiting]).toEqual([0, 0]);
  });

  it('refuses past maxWaiting (undefined), and takes again once the queue has room', async () => {
    const gate = new HandshakeGate(1, 2);
    const first = await gate.enter()!;
    const a = gate.enter();
    const b = gate.enter();
    expect(a).toBeDefined();
    expect(b).toBeDefined();
    expect(gate.enter()).toBeUndefined();
    expect(gate.refused).toBe(1);
    first();
    (await a!)();
    expect(gate.enter()).toBeDefined();
    (await b!)();
  });

  it('counts a release once, however often it is called', async () => {
    const gate = new HandshakeGate(1, 5);
    const r = await gate.enter()!;
    let second = false;
    void gate.enter()!.then(() => { second = true; });
    r();
    r();
    await flush();
    expect(second).toBe(true);
    expect(gate.running).toBe(1);
    const third = gate.enter()!;
    let got = false;
    void third.then(() => { got = true; });
    await flush();
    expect(got).toBe(false); // the double release did not open a second slot
  });

  it('serves a flood of ten thousand in order with bounded concurrency and ends empty', async () => {
    const gate = new HandshakeGate(32, 20_000);
    let active = 0;
    let peak = 0;
    const done: number[] = [];
    await Promise.all(Array.from({ length: 10_000 }, async (_, i) => {
      const release = await gate.enter()!;
      active++;
      peak = Math.max(peak, active);
      await Promise.resolve();
      done.push(i);
      active--;
      release();
    }));
    expect(peak).toBe(32);
    expect(done).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
    expect([gate.running, gate.waiting]).toEqual([0, 0]);
  });
});
