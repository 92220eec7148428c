import { describe, expect, it, vi } from 'vitest';
import type { AgentConfigView } from '../../../../schema/src/wire/config-view.ts';
import type { Db } from '../../db.ts';
import { ConfigFanout } from './fanout.ts';

const view = (version: string) => ({ version }) as unknown as AgentConfigView;

describe('ConfigFanout', () => {
  it('serves the requests of one cluster in one turn from one read', async () => {
    const views = vi.fn(async (_c: string, ds: string[]) => new Map(ds.map((d) => [d, view(`v-${d}`)])));
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
      const views = vi.fn(async (_c: string, ds: string[]) => {
        if (fails-- > 0) throw new Error('connection terminated');
        return new Map(ds.map((d) => [d, view('v2')]));
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
