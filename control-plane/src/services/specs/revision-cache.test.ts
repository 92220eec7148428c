import { describe, expect, it } from 'vitest';
import { RevisionCache } from './revision-cache.ts';

describe('RevisionCache (newest revisions of each cluster, bounded overall)', () => {
  it('keeps the newest perCluster revisions of each cluster, whatever order they arrive in', () => {
    const c = new RevisionCache<string>(2, 100);
    c.set('a', 1, 'a1');
    c.set('a', 3, 'a3');
    c.set('b', 7, 'b7');
    c.set('a', 2, 'a2'); // between the two held: the oldest (1) goes
    expect([c.get('a', 1), c.get('a', 2), c.get('a', 3), c.get('b', 7)]).toEqual([undefined, 'a2', 'a3', 'b7']);
    c.set('a', 1, 'again'); // older than both kept: not cached
    expect(c.has('a', 1)).toBe(false);
    c.set('a', 4, 'a4');
    expect([c.has('a', 2), c.get('a', 3), c.get('a', 4), c.size]).toEqual([false, 'a3', 'a4', 3]);
    c.set('a', 4, 'a4 again'); // replaces in place
    expect([c.get('a', 4), c.size]).toEqual(['a4 again', 3]);
  });

  it('evicts the oldest cached entry once max are held, and its cluster forgets it', () => {
    const c = new RevisionCache<number>(3, 4);
    for (let i = 0; i < 6; i++) c.set(`c${i}`, 1, i);
    expect(c.size).toBe(4);
    expect([c.has('c0', 1), c.has('c1', 1), c.has('c2', 1), c.has('c5', 1)]).toEqual([false, false, true, true]);
    // c0's revision list was emptied too: a new revision of it is cached like a first one.
    c.set('c0', 1, 10);
    expect(c.get('c0', 1)).toBe(10);
  });

  it('delete forgets one revision and leaves the cluster\'s others', () => {
    const c = new RevisionCache<number>(2, 10);
    c.set('a', 1, 1);
    c.set('a', 2, 2);
    c.delete('a', 1);
    c.delete('a', 9); // not held: nothing
    expect([c.has('a', 1), c.get('a', 2), c.size]).toEqual([false, 2, 1]);
    c.set('a', 1, 1); // room again for an older one (only one of two held)
    expect(c.get('a', 1)).toBe(1);
  });
});
