/**
 * Nudging pushed agents when a cluster changes: with LISTEN working the NOTIFY nudges (once); a
 * change whose NOTIFY never comes back (LISTEN's connection down after a Postgres restart) is
 * nudged by the writer after ECHO_WAIT_MS; a LISTEN established again nudges every cluster.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ECHO_WAIT_MS, RevisionChanges } from './notify.ts';

describe('RevisionChanges', () => {
  beforeEach(() => { vi.useFakeTimers(); });
  afterEach(() => { vi.useRealTimers(); });

  it('LISTEN working: the writer\'s change is nudged once, by its NOTIFY', () => {
    const r = new RevisionChanges();
    r.listening = true;
    let woken = 0;
    r.subscribe('c1', () => woken++, 'lb1');
    r.notify('c1', 'local');
    vi.advanceTimersByTime(5);
    r.notify('c1', 'listen');
    vi.advanceTimersByTime(ECHO_WAIT_MS * 3);
    expect(woken).toBe(1);
  });

  it('LISTEN silently down (its NOTIFY never comes back): the writer nudges after ECHO_WAIT_MS', () => {
    const r = new RevisionChanges();
    r.listening = true;
    let woken = 0;
    r.subscribe('c1', () => woken++, 'lb1');
    r.notify('c1', 'local');
    vi.advanceTimersByTime(ECHO_WAIT_MS - 1);
    expect(woken).toBe(0);
    vi.advanceTimersByTime(100);
    expect(woken).toBe(1);
  });

  it('LISTEN established again: every cluster with agents is nudged (NOTIFYs meanwhile are lost)', () => {
    const r = new RevisionChanges();
    r.listening = true;
    const woken: string[] = [];
    r.subscribe('c1', () => woken.push('c1'), 'lb1');
    r.subscribe('c2', () => woken.push('c2'), 'lb3');
    r.relistened();
    vi.advanceTimersByTime(50);
    expect(woken.sort()).toEqual(['c1', 'c2']);
  });

  it('no LISTEN: the writer nudges at once', () => {
    const r = new RevisionChanges();
    let woken = 0;
    r.subscribe('c1', () => woken++, 'lb1');
    r.notify('c1', 'local');
    vi.advanceTimersByTime(50);
    expect(woken).toBe(1);
  });
});
