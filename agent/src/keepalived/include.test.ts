import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nodeConfigFs } from './fs.ts';
import { loadWithIncludes } from './include.ts';
import { parseKeepalivedConf } from './parser.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-include-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function write(rel: string, text: string): string {
  const p = join(dir, rel);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, text);
  return p;
}

const firstWords = (path: string) => loadWithIncludes(path, nodeConfigFs).lines.map((l) => `${l.file.slice(dir.length + 1)}:${l.line}:${l.tokens[0]!.text}`);

describe('loadWithIncludes', () => {
  it('splices included files in place, relative to the including file, glob sorted', () => {
    const main = write('main.conf', 'global_defs {\n}\ninclude conf.d/*.conf\nlast\n');
    write('conf.d/b.conf', 'b_line\n');
    write('conf.d/a.conf', 'a_line\ninclude ../extra/{x,y}.inc\n');
    write('extra/x.inc', 'x_line\n');
    write('extra/y.inc', 'y_line\n');
    expect(firstWords(main)).toEqual([
      'main.conf:1:global_defs', 'main.conf:2:}', 'conf.d/a.conf:1:a_line', 'extra/x.inc:1:x_line', 'extra/y.inc:1:y_line', 'conf.d/b.conf:1:b_line', 'main.conf:4:last',
    ]);
  });

  it('accepts includer/includem/... like include', () => {
    const main = write('k.conf', 'includer part.conf\n');
    write('part.conf', 'p\n');
    expect(firstWords(main)).toEqual(['part.conf:1:p']);
  });

  it('reports a missing plain file as a warning at the include line (keepalived only logs it), an error for includem/includea', () => {
    const main = write('k.conf', 'a\n  include nothere.conf\nincludem nothere.conf\nincludea nothere.conf\nincluder nothere.conf\n');
    const { diagnostics } = loadWithIncludes(main, nodeConfigFs);
    expect(diagnostics).toMatchObject([
      { severity: 'warning', code: 'include-missing', file: main, line: 2, column: 11 },
      { severity: 'error', code: 'include-missing', line: 3 },
      { severity: 'error', code: 'include-missing', line: 4 },
      { severity: 'warning', code: 'include-missing', line: 5 },
    ]);
    expect(diagnostics[0]!.message).toContain(join(dir, 'nothere.conf'));
  });

  it('reports a glob matching nothing as a warning', () => {
    const main = write('k.conf', 'include conf.d/*.conf\n');
    expect(loadWithIncludes(main, nodeConfigFs).diagnostics).toMatchObject([{ severity: 'warning', code: 'include-missing', line: 1 }]);
  });

  it('detects include cycles instead of recursing', () => {
    const a = write('a.conf', 'include b.conf\nafter_a\n');
    write('b.conf', 'in_b\ninclude a.conf\n');
    const { lines, diagnostics } = loadWithIncludes(a, nodeConfigFs);
    expect(lines.map((l) => l.tokens[0]!.text)).toEqual(['in_b', 'after_a']);
    expect(diagnostics).toMatchObject([{ severity: 'error', code: 'include-cycle', file: join(dir, 'b.conf'), line: 2 }]);
  });

  it('needs a pattern', () => {
    const main = write('k.conf', 'include\n');
    expect(loadWithIncludes(main, nodeConfigFs).diagnostics).toMatchObject([{ code: 'missing-argument', line: 1 }]);
  });

  it('reports an unreadable entry file', () => {
    expect(loadWithIncludes(join(dir, 'absent.conf'), nodeConfigFs).diagnostics).toMatchObject([{ severity: 'error', code: 'io-error' }]);
  });

  it('builds one tree across files: an include inside a block adds to that block', () => {
    const main = write('k.conf', 'vrrp_instance V {\n  interface eth0\n  virtual_router_id 7\n  include vips.conf\n}\n');
    write('vips.conf', 'virtual_ipaddress {\n  10.0.0.1/24\n  autp_x 1\n}\n');
    const { tree, diagnostics } = parseKeepalivedConf({ path: main });
    expect(tree[0]!.children!.map((n) => n.keyword.text)).toEqual(['interface', 'virtual_router_id', 'virtual_ipaddress']);
    expect(diagnostics.filter((d) => d.severity === 'error')).toMatchObject([{ code: 'invalid-value', file: join(dir, 'vips.conf'), line: 3 }]);
  });
});
