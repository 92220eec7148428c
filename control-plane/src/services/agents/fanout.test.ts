import { describe, expect, it, vi } from 'vitest';
import type { AgentConfigView } from '../../../../schema/src/wire/config-view.ts';
import type { Db } from '../../db.ts';
import { ConfigFanout, MAX_CLUSTERS_PER_READ } from './fanout.ts';

const view = (version: string) => ({ version }) as unknown as AgentConfigView;

describe('ConfigFanout', () => {
  const each = (f: (c: string, d: string) => string) => async (wanted: Map<string, string[]>) => new Map([...wanted].map(([c, ds]) => [c, new Map(ds.map((d) => [d, view(f(c, d))]))]));

  it('serves the requests of one cluster in one turn from one read', async () => {
    const views = vi.fn(each((_c, d) => `v-${d}`));
    const f = new ConfigFanout({} as Db, () => {}, views);
    const got: string[] = [];
    await new Promise<void>((done) => {
      f.request('c1', 'lb1', (v) => got.push(`lb1:${v?.version}`));
      f.request('c1', 'lb2', (v) => { got.push(`lb2:${v?.version}`); done(); });
    });
    expect(views).toHaveBeenCalledTimes(1);
    expect(got).toEqual(['lb1:v-lb1', 'lb2:v-lb2']);
  });

  it('a failed read (the database away) is tried again until it is read: a pushed agent does not poll', async () => {
    vi.useFakeTimers();
    try {
      let fails = 3;
      const errors: string[] = [];
      const views = vi.fn(async (wanted: Map<string, string[]>) => {
        if (fails-- > 0) throw new Error('connection terminated');
        return each(() => 'v2')(wanted);
      });
      const f = new ConfigFanout({} as Db, (e) => errors.push(e.message), views);
      const delivered: Array<string | undefined> = [];
      f.request('c1', 'lb1', (v) => delivered.push(v?.version));
      await vi.advanceTimersByTimeAsync(250 + 500 + 1_000 + 50);
      expect(views).toHaveBeenCalledTimes(4);
      expect(errors).toEqual(['connection terminated', 'connection terminated', 'connection terminated']);
      expect(delivered).toEqual(['v2']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('serves the requests of many clusters in one turn from one read (a site document changed them all)', async () => {
    const views = vi.fn(each((c, d) => `${c}-${d}`));
    const f = new ConfigFanout({} as Db, () => {}, views);
    const got: string[] = [];
    await new Promise<void>((done) => {
      for (let c = 0; c < 200; c++) for (let d = 0; d < 3; d++) f.request(`c${c}`, `lb${d}`, (v) => { got.push(v!.version); if (got.length === 600) done(); });
    });
    expect(views).toHaveBeenCalledTimes(1);
    expect(views.mock.calls[0]![0].size).toBe(200);
    expect(got).toContain('c199-lb2');
  });

  it('splits a read of more clusters than one read carries', async () => {
    const views = vi.fn(each((c) => c));
    const f = new ConfigFanout({} as Db, () => {}, views);
    let n = 0;
    await new Promise<void>((done) => {
      for (let c = 0; c < MAX_CLUSTERS_PER_READ + 1; c++) f.request(`c${c}`, 'lb1', () => { if (++n === MAX_CLUSTERS_PER_READ + 1) done(); });
    });
    expect(views.mock.calls.map((c) => c[0].size)).toEqual([MAX_CLUSTERS_PER_READ, 1]);
  });

  it('a request arriving after a read started gets its own read (nothing is lost between turns)', async () => {
    const views = vi.fn(each(() => 'v'));
    const f = new ConfigFanout({} as Db, () => {}, views);
    await new Promise<void>((done) => {
      f.request('c1', 'lb1', () => {
        f.request('c1', 'lb2', () => done());
      });
    });
    expect(views).toHaveBeenCalledTimes(2);
  });

  it('delivers each cluster as soon as the reader renders it; a read failing half-way retries only the clusters not delivered', async () => {
    vi.useFakeTimers();
    try {
      const calls: string[][] = [];
      const views = vi.fn(async (wanted: Map<string, string[]>, onCluster?: (c: string, v: Map<string, AgentConfigView | null>) => void) => {
        calls.push([...wanted.keys()]);
        const [first, ...rest] = [...wanted.keys()];
        onCluster?.(first!, new Map([['lb1', view(`${first}-v`)]]));
        if (calls.length === 1 && rest.length) throw new Error('connection terminated');
        return new Map([...wanted].map(([c]) => [c, new Map([['lb1', view(`${c}-v`)]])]));
      });
      const f = new ConfigFanout({} as Db, () => {}, views);
      const got: string[] = [];
      f.request('c1', 'lb1', (v) => got.push(v!.version));
      f.request('c2', 'lb1', (v) => got.push(v!.version));
      await vi.advanceTimersByTimeAsync(300);
      expect(calls).toEqual([['c1', 'c2'], ['c2']]);
      expect(got).toEqual(['c1-v', 'c2-v']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('gives up after its attempts (the next reconnect reads it), without piling up', async () => {
    vi.useFakeTimers();
    try {
      const views = vi.fn(async () => { throw new Error('down'); });
      const f = new ConfigFanout({} as Db, () => {}, views);
      f.request('c1', 'lb1', () => { throw new Error('never delivered'); });
      await vi.advanceTimersByTimeAsync(10 * 60_000);
      expect(views).toHaveBeenCalledTimes(20);
    } finally {
      vi.useRealTimers();
    }
  });
});
