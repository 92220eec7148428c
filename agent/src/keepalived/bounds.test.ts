/**
 * Hostile keepalived.conf files (issue 12): every bound of limits.ts trips with a diagnostic at
 * file:line, reading stops or skips instead of hanging, and nothing recurses or allocates
 * without bound. Time and memory of the real CLI on such files are measured by
 * test/unit/keepalived-fuzz.test.ts.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkFile } from '../cli/check.ts';
import { memoryConfigFs, nodeConfigFs } from './fs.ts';
import { loadWithIncludes } from './include.ts';
import { MAX_BLOCK_DEPTH, MAX_DIAGNOSTICS, MAX_FILE_BYTES, MAX_FILES, MAX_GLOB_MATCHES, MAX_INCLUDE_DEPTH, MAX_LINE_BYTES, MAX_STATEMENTS } from './limits.ts';
import { parseKeepalivedConf } from './parser.ts';
import { closestMatch } from './suggest.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-bounds-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(rel: string, text: string | Buffer): string {
  const p = join(dir, rel);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, text);
  return p;
}

const limits = (ds: { code: string; severity: string; line: number }[]) => ds.filter((d) => d.code === 'limit').map((d) => `${d.severity}:${d.line}`);
const parseText = (text: string) => parseKeepalivedConf({ text }, { file: '/k.conf', fs: memoryConfigFs({}), configId: 'lb1' });

describe('depth, lines and words', () => {
  it(`5,000 nested anonymous blocks: errors, no stack overflow; nothing deeper than ${MAX_BLOCK_DEPTH} is built`, () => {
    const text = '{\n'.repeat(5000) + '}\n'.repeat(5000);
    const { tree, diagnostics } = parseText(text);
    expect(limits(diagnostics)).toEqual([`error:${MAX_BLOCK_DEPTH + 1}`]);
    expect(diagnostics.filter((d) => d.code === 'unexpected-block').length).toBe(MAX_BLOCK_DEPTH);
    let depth = 0;
    for (let n = tree[0]; n?.children; n = n.children[0]) depth++;
    expect(depth).toBe(MAX_BLOCK_DEPTH);
  });

  it(`a line longer than ${MAX_LINE_BYTES} bytes is an error there, and read on in pieces as keepalived does`, () => {
    const { diagnostics } = parseText(`global_defs {\n  router_id ${'x'.repeat(2000)}\n}\n`);
    expect(limits(diagnostics)).toEqual(['error:2']);
    expect(diagnostics.find((d) => d.code === 'limit')!.message).toContain('2012 bytes long');
  });

  it('an unknown keyword with 500 words costs one diagnostic (the did-you-mean join is bounded)', () => {
    const { diagnostics } = parseText(`lvs ${'x '.repeat(500)}\n`);
    expect(diagnostics.map((d) => d.code)).toEqual(['unknown-keyword']);
  });

  it('did-you-mean ignores words longer than any keyword (the edit distance is quadratic)', () => {
    expect(closestMatch('a'.repeat(1_000_000), ['auth_pass'])).toBeUndefined();
    expect(closestMatch('auth_pas', ['auth_pass'])).toBe('auth_pass');
  });

  it(`more than ${MAX_STATEMENTS} statements: an error at the first one over, the rest unread`, () => {
    const { diagnostics } = parseText('x\n'.repeat(MAX_STATEMENTS + 10));
    expect(limits(diagnostics)).toEqual([`error:${MAX_STATEMENTS + 1}`]);
  });

  it('blocks still open where reading stopped are not reported as missing "}" (the bound is the one error)', () => {
    const { diagnostics } = parseText(`virtual_server 192.0.2.1 80 {\n  real_server 192.0.2.2 80 {\n${'    weight 1\n'.repeat(MAX_STATEMENTS)}  }\n}\n`);
    expect(diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code}:${d.line}`)).toEqual([`limit:${MAX_STATEMENTS + 1}`]);
  });

  it('a sequence that runs for ever producing nothing stops at the expansion bound', () => {
    const { diagnostics } = parseText('~SEQ(I, 1, 100000000) $NOTHING_${I}=1\n');
    expect(limits(diagnostics)).toEqual(['error:1']);
  });

  it(`vigil check keeps at most ${MAX_DIAGNOSTICS} diagnostics and counts the rest`, () => {
    const p = write('many.conf', 'nope\n'.repeat(3000));
    const r = checkFile(p);
    expect(r.diagnostics.length).toBe(MAX_DIAGNOSTICS);
    expect(r.omitted).toBe(2000);
    expect(r.valid).toBe(false);
  });
});

describe('includes and globs', () => {
  it('20 {a,b} groups: one error at the include line, nothing expanded', () => {
    const r = loadWithIncludes('/k.conf', memoryConfigFs({}), `x\ninclude ${'{a,b}'.repeat(20)}\n`);
    expect(r.diagnostics).toMatchObject([{ severity: 'error', code: 'limit', line: 2 }]);
  });

  it(`a glob matching more than ${MAX_GLOB_MATCHES} paths: one error at the include line`, () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < MAX_GLOB_MATCHES + 5; i++) files[`/d/f${i}.conf`] = '';
    const r = loadWithIncludes('/k.conf', memoryConfigFs(files), 'include /d/*.conf\n');
    expect(r.diagnostics).toMatchObject([{ severity: 'error', code: 'limit', line: 1 }]);
  });

  it('include /*/* on the real file system ends (bounded listing), reading only regular non-executable files', () => {
    const p = write('rootglob.conf', 'include /*/*\n');
    const r = parseKeepalivedConf({ path: p });
    expect(r.diagnostics.some((d) => d.code === 'limit' || d.code === 'include-error')).toBe(true);
    for (const d of r.diagnostics) expect(d.line).toBe(1);
  });

  it('devices, directories and kernel pseudo-files are never read: /dev/zero and /tmp skipped as keepalived skips them, /proc/kmsg refused', () => {
    const p = write('special.conf', 'include /dev/zero\ninclude /tmp\ninclude /proc/kmsg\ninclude /proc/kpage*\n');
    const r = parseKeepalivedConf({ path: p });
    const byLine = (l: number) => r.diagnostics.filter((d) => d.line === l).map((d) => `${d.severity}:${d.code}`);
    expect(byLine(1)).toEqual(['warning:include-error']);
    expect(r.diagnostics.find((d) => d.line === 1)!.message).toContain('not a regular file');
    expect(byLine(2)).toEqual(['warning:include-error']);
    expect(r.diagnostics.find((d) => d.line === 2)!.message).toContain('is a directory');
    expect(byLine(3)).toEqual(['error:include-error']);
    expect(r.diagnostics.find((d) => d.line === 3)!.message).toContain('kernel pseudo-file');
    expect(byLine(4).every((x) => x === 'error:include-error')).toBe(true);
  });

  it('an executable file is skipped as keepalived skips it; as the entry file it is refused', () => {
    const part = write('exec/part.conf', 'in_part\n');
    chmodSync(part, 0o755);
    const main = write('exec/main.conf', 'include part.conf\nincluder part.conf\n');
    const r = loadWithIncludes(main, nodeConfigFs);
    expect(r.lines).toEqual([]);
    expect(r.diagnostics.map((d) => `${d.severity}:${d.code}:${d.line}`)).toEqual(['warning:include-error:1', 'error:include-error:2']);
    const entry = loadWithIncludes(part, nodeConfigFs);
    expect(entry.diagnostics).toMatchObject([{ severity: 'error', code: 'io-error', line: 1 }]);
  });

  it('an include loop is an error at the include that closes it', () => {
    const a = write('loop/a.conf', 'include b.conf\n');
    write('loop/b.conf', 'include *.conf\n');
    const r = loadWithIncludes(a, nodeConfigFs);
    expect(r.diagnostics.map((d) => `${d.code}:${d.line}`)).toEqual(['include-cycle:1', 'include-cycle:1']);
  });

  it(`includes nested deeper than ${MAX_INCLUDE_DEPTH}: an error at the include line that goes too deep`, () => {
    for (let i = 0; i < MAX_INCLUDE_DEPTH + 4; i++) write(`deep/${i}.conf`, `level_${i}\ninclude ${i + 1}.conf\n`);
    const r = loadWithIncludes(join(dir, 'deep/0.conf'), nodeConfigFs);
    expect(limits(r.diagnostics)).toEqual(['error:2']);
    expect(r.lines.length).toBe(MAX_INCLUDE_DEPTH + 1);
  });

  it(`more than ${MAX_FILES} files: an error at the include line, the rest unread`, () => {
    for (let i = 0; i < MAX_FILES + 20; i++) write(`many/d/${String(i).padStart(4, '0')}.conf`, `f${i}\n`);
    const main = write('many/main.conf', 'include d/*.conf\n');
    const r = loadWithIncludes(main, nodeConfigFs);
    expect(limits(r.diagnostics)).toEqual(['error:1']);
    expect(r.files.length).toBe(MAX_FILES);
  });

  it(`files over ${MAX_FILE_BYTES} bytes are not read: the entry is an error, an include an error at its line`, () => {
    const big = write('size/big.conf', '#'.repeat(MAX_FILE_BYTES + 1));
    expect(loadWithIncludes(big, nodeConfigFs).diagnostics).toMatchObject([{ severity: 'error', code: 'limit' }]);
    const main = write('size/main.conf', 'a\ninclude big.conf\n');
    expect(limits(loadWithIncludes(main, nodeConfigFs).diagnostics)).toEqual(['error:2']);
  });
});

describe('bytes that are not text', () => {
  it('invalid UTF-8 and control characters are read without crashing', () => {
    const p = write('binary.conf', Buffer.from([0x67, 0x6c, 0xff, 0xfe, 0x0a, 0x00, 0x7b, 0x0a, 0xc3, 0x28, 0x20, 0x7d, 0x0a, 0x1b, 0x5b, 0x0a]));
    const r = checkFile(p);
    expect(r.valid).toBe(false);
    for (const d of r.diagnostics) expect(d.line).toBeGreaterThan(0);
  });
});
