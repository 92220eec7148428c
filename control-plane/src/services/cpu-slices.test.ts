import { describe, expect, it } from 'vitest';
import { CpuSlices, sliceBudget } from './cpu-slices.ts';

describe('CpuSlices', () => {
  it('runs jobs in arrival order, as many a slice as the budget allows, the rest on later turns', async () => {
    let t = 0;
    const s = new CpuSlices(5, () => t);
    const order: number[] = [];
    const all = Array.from({ length: 10 }, (_, i) => s.run(() => {
      order.push(i);
      t += 2; // each job "takes" 2 ms: three fit a 5 ms slice (0, 2, 4 → stop at 6)
      return i * i;
    }));
    expect(await Promise.all(all)).toEqual([0, 1, 4, 9, 16, 25, 36, 49, 64, 81]);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(s.slices).toBe(4);
  });

  it('lets a timer run between slices (the event loop turns)', async () => {
    const s = new CpuSlices(1);
    const seen: string[] = [];
    const busy = (ms: number) => { const end = performance.now() + ms; while (performance.now() < end); };
    // Armed by the first job, so a loaded machine cannot fire it before any job has run.
    await Promise.all(Array.from({ length: 20 }, (_, i) => s.run(() => {
      if (i === 0) setTimeout(() => seen.push('timer'), 0);
      busy(2);
      seen.push(`job${i}`);
    })));
    expect(seen.indexOf('timer')).toBeGreaterThan(0);
    expect(seen.indexOf('timer')).toBeLessThan(20);
  });

  it('a job that throws rejects only its own promise', async () => {
    const s = new CpuSlices();
    const a = s.run(() => 1);
    const b = s.run(() => { throw new Error('bad frame'); });
    const c = s.run(() => 3);
    expect(await a).toBe(1);
    await expect(b).rejects.toThrow('bad frame');
    expect(await c).toBe(3);
    expect(s.waiting).toBe(0);
  });
});

describe('sliceBudget', () => {
  it('yields a turn only once the budget is spent', async () => {
    // The clock is the test's while under budget: on a loaded machine a preempted busy loop
    // would spend the budget in wall time (CI saw one turn where none is due).
    let fake: number | undefined = 0;
    const pause = sliceBudget(3, 0, () => fake ?? performance.now());
    let turns = 0;
    const t = setInterval(() => turns++, 0);
    const busy = (ms: number) => { const end = performance.now() + ms; while (performance.now() < end); };
    for (let i = 0; i < 10; i++) { fake! += 0.1; await pause(); } // 1 ms of work: no turn needed
    const quick = turns;
    fake = undefined;
    for (let i = 0; i < 10; i++) { busy(2); await pause(); } // 20 ms of work: several turns
    clearInterval(t);
    expect(quick).toBe(0);
    expect(turns).toBeGreaterThanOrEqual(3);
  });

  it('with a rest, background work leaves the CPU alone that long after each slice', async () => {
    const pause = sliceBudget(2, 20);
    const busy = (ms: number) => { const end = performance.now() + ms; while (performance.now() < end); };
    const start = performance.now();
    let worked = 0;
    for (let i = 0; i < 5; i++) { busy(2.5); worked += 2.5; await pause(); } // every call is past the 2 ms budget
    // Five slices, each followed by a 20 ms rest: the walk takes at most 2.5 / 22.5 of the CPU.
    expect(performance.now() - start).toBeGreaterThanOrEqual(worked + 5 * 19);
  });
});
