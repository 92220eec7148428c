import { describe, expect, it } from 'vitest';
import { errorReason, runProbe } from './probe.ts';

const opts = (signal = new AbortController().signal) => ({ timeoutMs: 50, signal });

describe('runProbe', () => {
  it('returns the body result and runs cleanups in reverse order', async () => {
    const order: string[] = [];
    const r = await runProbe(opts(), 1000, async (s) => {
      s.defer(() => order.push('a'));
      s.defer(() => order.push('b'));
      return { ok: true };
    });
    expect(r).toEqual({ ok: true });
    expect(order).toEqual(['b', 'a']);
  });

  it('times out a body that never settles, naming the phase, and cleans up', async () => {
    let cleaned = false;
    const r = await runProbe(opts(), 30, (s) => {
      s.phase('waiting for Godot');
      s.defer(() => (cleaned = true));
      return new Promise(() => undefined);
    });
    expect(r).toEqual({ ok: false, reason: 'timeout after 30 ms waiting for Godot' });
    expect(cleaned).toBe(true);
  });

  it('turns a throwing body into a failure', async () => {
    const err = Object.assign(new Error('x'), { code: 'ECONNRESET', syscall: 'read' });
    expect(await runProbe(opts(), 100, async () => Promise.reject(err))).toEqual({ ok: false, reason: 'read ECONNRESET' });
    expect(await runProbe(opts(), 100, () => { throw new Error('boom'); })).toEqual({ ok: false, reason: 'boom' });
  });

  it('resolves "aborted" on the caller\'s signal, also when already aborted', async () => {
    const ac = new AbortController();
    const p = runProbe(opts(ac.signal), 10_000, () => new Promise(() => undefined));
    ac.abort();
    expect(await p).toEqual({ ok: false, reason: 'aborted' });
    expect(await runProbe(opts(ac.signal), 10_000, async () => ({ ok: true }))).toEqual({ ok: false, reason: 'aborted' });
  });

  it('runs a cleanup deferred after the end at once', async () => {
    let late: ((f: () => void) => void) | undefined;
    await runProbe(opts(), 100, async (s) => {
      late = s.defer;
      return { ok: true };
    });
    let ran = false;
    late!(() => (ran = true));
    expect(ran).toBe(true);
  });

  it('formats errors', () => {
    expect(errorReason(Object.assign(new Error(''), { code: 'ECONNREFUSED', syscall: 'connect' }))).toBe('connect ECONNREFUSED');
    expect(errorReason('plain')).toBe('plain');
  });
});
