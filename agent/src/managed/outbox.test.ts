import { mkdtempSync, readFileSync, rmSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Outbox, type OutboxIo } from './outbox.ts';
import { fsyncSync, writeFileSync, writeSync } from 'node:fs';
import fc from 'fast-check';

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
    // The event written after the torn text is on a line of its own: it survives the next start.
    expect(new Outbox(d).pending().map((e) => [e.seq, e.kind])).toEqual([[1, 'a'], [2, 'c']]);
  });

  /** Real file operations that refuse (ENOSPC) while `full`, optionally after a short write. */
  const disk = (state: { full: boolean; short?: boolean }): OutboxIo => ({
    write: (fd, t) => {
      if (!state.full) return writeSync(fd, t);
      if (state.short) return writeSync(fd, t.slice(0, 7));
      throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    },
    fsync: (fd) => fsyncSync(fd),
    replace: (p, t) => {
      if (state.full) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
      writeFileSync(p, t);
    },
  });

  it('a full disk: appends never throw, events are held and delivered, written in order when space returns, and said once each way', async () => {
    for (const short of [false, true]) {
      const d = dir();
      const told: Array<[string | null, number]> = [];
      const state = { full: false, short };
      const o = new Outbox(d, { io: disk(state), onDisk: (p, n) => told.push([p, n]) });
      o.append(ev('a'));
      state.full = true;
      expect(o.append(ev('b')).seq).toBe(2);
      expect(o.append(ev('c')).seq).toBe(3);
      expect(o.pending().map((e) => e.kind)).toEqual(['a', 'b', 'c']);
      expect(o.diskProblem).toEqual({ problem: short ? 'short write (disk full?)' : 'ENOSPC', inMemory: 2 });
      o.ack(1); // delivered while full: acknowledged in memory, the state waits for the disk
      expect(o.flush()).toBe(false);
      await Promise.resolve();
      expect(told).toEqual([[short ? 'short write (disk full?)' : 'ENOSPC', 2]]);
      state.full = false;
      expect(o.flush()).toBe(true);
      await Promise.resolve();
      expect(told[1]).toEqual([null, 0]);
      expect(o.diskProblem).toBeNull();
      o.close();
      // A restart finds b and c on disk, after a (acked), whatever the refused writes left.
      const again = new Outbox(d);
      expect(again.pending().map((e) => [e.seq, e.kind])).toEqual([[2, 'b'], [3, 'c']]);
      expect(again.append(ev('d')).seq).toBe(4);
      again.close();
    }
  });

  it('events delivered and acknowledged while the disk is full are not written later; the state keeps the sequence', () => {
    const d = dir();
    const state = { full: true };
    const o = new Outbox(d, { io: disk(state) });
    o.append(ev('a'));
    o.append(ev('b'));
    o.ack(2);
    expect(o.diskProblem?.inMemory).toBe(0);
    state.full = false;
    expect(o.flush()).toBe(true);
    o.close();
    const again = new Outbox(d);
    expect(again.pending()).toEqual([]);
    expect(again.append(ev('c')).seq).toBe(3);
    again.close();
  });

  it('a restart while the disk refused writes hands out delivered seqs again; renumbering above what the control plane holds sends those events anew, and a restart keeps the new numbers', () => {
    const d = dir();
    const state = { full: false };
    const o = new Outbox(d, { io: disk(state) });
    o.append(ev('a'));
    o.ack(1);
    state.full = true;
    o.append(ev('b'));
    o.append(ev('c'));
    o.ack(3); // delivered from memory and stored by the control plane; never written here
    o.close(); // the process ends while the disk is still full
    // The restarted agent's outbox knows only seq 1: it gives 2 and 3 to new events.
    const again = new Outbox(d);
    const x = again.append(ev('x'));
    const y = again.append(ev('y'));
    expect([x.seq, y.seq]).toEqual([2, 3]);
    // The control plane's ack: 2 and 3 hold other events; the highest it holds is 3.
    const moved = again.renumber([2, 3], 3);
    expect(moved.map((e) => [e.seq, e.kind])).toEqual([[4, 'x'], [5, 'y']]);
    again.ack(3);
    expect(again.pending().map((e) => [e.seq, e.kind])).toEqual([[4, 'x'], [5, 'y']]);
    expect(again.append(ev('z')).seq).toBe(6);
    again.close();
    const third = new Outbox(d);
    expect(third.pending().map((e) => [e.seq, e.kind])).toEqual([[4, 'x'], [5, 'y'], [6, 'z']]);
    expect(third.renumber([99], 200)).toEqual([]); // a seq it does not hold: nothing moves
    expect(third.append(ev('w')).seq).toBe(7);
    third.close();
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
  it('a held event is written at once but not sent, nor anything after it, until released with its details', () => {
    const d = dir();
    const syncs: number[] = [];
    const io: OutboxIo = { write: (fd, t) => writeSync(fd, t), fsync: (fd) => { syncs.push(fd); fsyncSync(fd); }, replace: (p, t) => writeFileSync(p, t) };
    const o = new Outbox(d, { io });
    o.append(ev('before'));
    const synced = syncs.length;
    const held = o.append({ kind: 'vrrp.transition', instance: 'VI_1', agentTime: '2026-11-29T10:00:01.000Z', details: { to: 'master', vipsAt: null } }, { hold: true });
    // On disk already (a killed process loses nothing the kernel has), without an fsync.
    expect(readFileSync(join(d, 'outbox.jsonl'), 'utf8')).toContain('"hold":true');
    expect(syncs.length).toBe(synced);
    o.append(ev('after'));
    expect(o.pending().map((e) => e.kind)).toEqual(['before']);
    o.release(held.seq, { vipsAt: '2026-11-29T10:00:01.020Z' });
    expect(syncs.length).toBeGreaterThan(synced + 1);
    expect(o.pending().map((e) => [e.kind, e.details])).toEqual([['before', {}], ['vrrp.transition', { to: 'master', vipsAt: '2026-11-29T10:00:01.020Z' }], ['after', {}]]);
    expect(o.pending().some((e) => 'hold' in e)).toBe(false);
    o.release(held.seq, { vipsAt: 'again' }); // once only
    expect(o.pending()[1]!.details.vipsAt).toBe('2026-11-29T10:00:01.020Z');
    o.close();
    // A restart reads the completion back.
    const again = new Outbox(d);
    expect(again.pending().map((e) => [e.seq, e.kind, e.details])).toEqual([[1, 'before', {}], [2, 'vrrp.transition', { to: 'master', vipsAt: '2026-11-29T10:00:01.020Z' }], [3, 'after', {}]]);
    expect(again.append(ev('next')).seq).toBe(4);
    again.close();
  });

  it('a held event whose process died before the release is delivered as written after a restart', () => {
    const d = dir();
    const o = new Outbox(d);
    o.append({ kind: 'vrrp.transition', instance: 'VI_1', agentTime: '2026-11-29T10:00:01.000Z', details: { to: 'master', vipsAt: null } }, { hold: true });
    o.append(ev('after'));
    expect(o.pending()).toEqual([]);
    // kill -9 here: no release, no close.
    const again = new Outbox(d);
    expect(again.pending().map((e) => [e.seq, e.kind, e.details])).toEqual([[1, 'vrrp.transition', { to: 'master', vipsAt: null }], [2, 'after', {}]]);
    expect(again.pending().some((e) => 'hold' in e)).toBe(false);
    again.ack(2);
    expect(again.size).toBe(0);
    again.close();
  });

  it('a held event and its release wait for a full disk like any event, in order', () => {
    const d = dir();
    const state = { full: true };
    const o = new Outbox(d, { io: disk(state) });
    const held = o.append({ kind: 'vrrp.transition', agentTime: '2026-11-29T10:00:01.000Z', details: { vipsAt: null } }, { hold: true });
    o.release(held.seq, { vipsAt: 'x' });
    expect(o.pending().map((e) => e.details)).toEqual([{ vipsAt: 'x' }]);
    state.full = false;
    expect(o.flush()).toBe(true);
    o.close();
    expect(new Outbox(d).pending().map((e) => [e.seq, e.details])).toEqual([[1, { vipsAt: 'x' }]]);
  });
  it('a file with hostile lines (seeded): every foreign or torn line is skipped, the sequence stays whole, the events and their releases survive', () => {
    const junk = fc.oneof(
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.constantFrom('{"seq":"7","kind":"x","agentTime":"t","details":{}}', '{"seq":-3,"kind":"x","agentTime":"t","details":{}}', '{"seq":1e300,"kind":"x","agentTime":"t","details":{}}',
        '{"seq":2.5,"kind":"x","agentTime":"t","details":{}}', '{"seq":9,"kind":7,"agentTime":"t","details":{}}', '{"seq":9,"kind":"x","agentTime":"t","details":"no"}', '[1,2,3]', 'null', '12',
        '{"release":"1","details":{}}', '{"release":1,"details":[1]}', '{"release":1e400,"details":{}}', '{"seq":4,"kind":"x","agentT', '\u0000\u0001'),
    );
    fc.assert(fc.property(fc.array(fc.oneof(fc.constant('event'), fc.constant('release'), junk.map((j) => ({ junk: j }))), { maxLength: 40 }), (plan) => {
      const d = dir();
      const lines: string[] = [];
      const expected: { seq: number; details: Record<string, unknown> }[] = [];
      for (const step of plan) {
        if (step === 'event') {
          const seq = expected.length + 1;
          expected.push({ seq, details: { n: seq } });
          lines.push(JSON.stringify({ seq, kind: 'vrrp.transition', agentTime: '2026-11-29T10:00:00.000Z', details: { n: seq }, hold: true }));
        } else if (step === 'release') {
          const target = expected.at(-1);
          if (!target) continue;
          target.details = { ...target.details, vipsAt: `v${target.seq}` };
          lines.push(JSON.stringify({ release: target.seq, details: { vipsAt: `v${target.seq}` } }));
        } else lines.push(step.junk);
      }
      writeFileSync(join(d, 'outbox.jsonl'), `${lines.join('\n')}\n`);
      const o = new Outbox(d);
      try {
        expect(o.pending(10_000).map((e) => ({ seq: e.seq, details: e.details }))).toEqual(expected);
        expect(o.lastSeq).toBe(expected.length);
        expect(o.append(ev('next')).seq).toBe(expected.length + 1);
      } finally {
        o.close();
      }
    }), { seed: 16, numRuns: 150 });
  });
});
