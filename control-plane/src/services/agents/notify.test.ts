/**
 * Nudging pushed agents when a cluster changes: with LISTEN working the NOTIFY nudges (once); a
 * change whose NOTIFY never comes back (LISTEN's connection down after a Postgres restart) is
 * nudged by the writer after ECHO_WAIT_MS; a LISTEN established again nudges every cluster.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ECHO_WAIT_MS, RevisionChanges } from './notify.ts';

/** A RevisionChanges with LISTEN working or not, and agents subscribed to `clusters`: who was nudged, in order. */
function changes(listening: boolean, clusters: string[] = ['c1']) {
  const r = new RevisionChanges();
  r.listening = listening;
  const woken: string[] = [];
  for (const c of clusters) r.subscribe(c, () => woken.push(c), `lb-${c}`);
  return { r, woken };
}

describe('RevisionChanges', () => {
  beforeEach(() => { vi.useFakeTimers(); });
  afterEach(() => { vi.useRealTimers(); });

  it('LISTEN working: the writer\'s change is nudged once, by its NOTIFY', () => {
    const { r, woken } = changes(true);
    r.notify('c1', 'local');
    vi.advanceTimersByTime(5);
    r.notify('c1', 'listen');
    vi.advanceTimersByTime(ECHO_WAIT_MS * 3);
    expect(woken).toEqual(['c1']);
  });

  it('LISTEN silently down (its NOTIFY never comes back): the writer nudges after ECHO_WAIT_MS', () => {
    const { r, woken } = changes(true);
    r.notify('c1', 'local');
    vi.advanceTimersByTime(ECHO_WAIT_MS - 1);
    expect(woken).toEqual([]);
    vi.advanceTimersByTime(100);
    expect(woken).toEqual(['c1']);
  });

  it('LISTEN established again: every cluster with agents is nudged (NOTIFYs meanwhile are lost)', () => {
    const { r, woken } = changes(true, ['c1', 'c2']);
    r.relistened();
    vi.advanceTimersByTime(50);
    expect(woken.sort()).toEqual(['c1', 'c2']);
  });

  it('no LISTEN: the writer nudges at once', () => {
    const { r, woken } = changes(false);
    r.notify('c1', 'local');
    vi.advanceTimersByTime(50);
    expect(woken).toEqual(['c1']);
  });
});
