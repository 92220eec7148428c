import { describe, expect, it } from 'vitest';
import { closestMatch, editDistance } from './suggest.ts';

describe('editDistance', () => {
  it('counts insertions, deletions, substitutions and transpositions as one edit', () => {
    expect(editDistance('lobal_defs', 'global_defs')).toBe(1);
    expect(editDistance('autp_pass', 'auth_pass')).toBe(1);
    expect(editDistance('priorty', 'priority')).toBe(1);
    expect(editDistance('prioirty', 'priority')).toBe(1);
    expect(editDistance('abc', 'abc')).toBe(0);
  });
});

describe('closestMatch', () => {
  it('suggests the nearest keyword when it is a plausible typo', () => {
    expect(closestMatch('autp_pass', ['auth_type', 'auth_pass'])).toBe('auth_pass');
    expect(closestMatch('virtual_ipadress', ['virtual_ipaddress', 'virtual_routes'])).toBe('virtual_ipaddress');
  });
  it('suggests nothing for unrelated words', () => {
    expect(closestMatch('foo', ['priority', 'state'])).toBeUndefined();
    expect(closestMatch('//comment', ['priority', 'state'])).toBeUndefined();
  });
});
