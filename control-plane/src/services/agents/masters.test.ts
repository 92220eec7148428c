import { describe, expect, it } from 'vitest';
import { currentClaims } from './masters.ts';

const names = (cs: { director: string }[]) => cs.map((c) => c.director);

describe('MASTER claims that still count', () => {
  it('a crashed master\'s last report is superseded by its peer\'s takeover', () => {
    // lb1 reported at 100 and died; lb2 took over at 103.6 and reported at 103.7.
    expect(names(currentClaims([{ director: 'lb1', seenAt: 100_000, takeoverAt: 10_000 }, { director: 'lb2', seenAt: 103_700, takeoverAt: 103_600 }]))).toEqual(['lb2']);
  });

  it('a master that reports again after the other\'s takeover is a split brain', () => {
    expect(names(currentClaims([{ director: 'lb1', seenAt: 105_000, takeoverAt: 10_000 }, { director: 'lb2', seenAt: 103_700, takeoverAt: 103_600 }]))).toEqual(['lb1', 'lb2']);
  });

  it('without takeover times nothing is superseded; one claim always counts', () => {
    expect(names(currentClaims([{ director: 'lb1', seenAt: 1, takeoverAt: null }, { director: 'lb2', seenAt: 2, takeoverAt: null }]))).toEqual(['lb1', 'lb2']);
    expect(names(currentClaims([{ director: 'lb1', seenAt: 1, takeoverAt: 5 }]))).toEqual(['lb1']);
  });
});
