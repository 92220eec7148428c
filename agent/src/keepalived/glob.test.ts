import { describe, expect, it } from 'vitest';
import { memoryConfigFs } from './fs.ts';
import { expandBraces, globPath } from './glob.ts';

describe('expandBraces', () => {
  it('expands alternatives, nested, in order', () => {
    expect(expandBraces('/a/{x,y}.conf')).toEqual(['/a/x.conf', '/a/y.conf']);
    expect(expandBraces('{a,b{1,2}}c')).toEqual(['ac', 'b1c', 'b2c']);
  });
  it('leaves a brace without comma literal', () => {
    expect(expandBraces('/a/{x}.conf')).toEqual(['/a/{x}.conf']);
  });
});

describe('globPath', () => {
  const fs = memoryConfigFs({ '/etc/k/conf.d/b.conf': '', '/etc/k/conf.d/a.conf': '', '/etc/k/conf.d/.hidden.conf': '', '/etc/k/conf.d/x.txt': '', '/etc/k/sub/1/z.conf': '' });
  it('matches *, ? and [..] per segment, sorted, skipping dot files', () => {
    expect(globPath('/etc/k/conf.d/*.conf', fs)).toEqual(['/etc/k/conf.d/a.conf', '/etc/k/conf.d/b.conf']);
    expect(globPath('/etc/k/conf.d/?.conf', fs)).toEqual(['/etc/k/conf.d/a.conf', '/etc/k/conf.d/b.conf']);
    expect(globPath('/etc/k/conf.d/[b-c].conf', fs)).toEqual(['/etc/k/conf.d/b.conf']);
    expect(globPath('/etc/k/conf.d/[!a].*', fs)).toEqual(['/etc/k/conf.d/b.conf', '/etc/k/conf.d/x.txt']);
    expect(globPath('/etc/k/*/1/*.conf', fs)).toEqual(['/etc/k/sub/1/z.conf']);
  });
  it('returns nothing for no match, and the file itself for a plain existing path', () => {
    expect(globPath('/etc/k/none/*.conf', fs)).toEqual([]);
    expect(globPath('/etc/k/conf.d/a.conf', fs)).toEqual(['/etc/k/conf.d/a.conf']);
  });
});
