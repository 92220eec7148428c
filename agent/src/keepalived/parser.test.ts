import { describe, expect, it } from 'vitest';
import { memoryConfigFs } from './fs.ts';
import { parseKeepalivedConf } from './parser.ts';

const parse = (text: string) => parseKeepalivedConf({ text }, { file: '/k.conf', fs: memoryConfigFs({}) });
const codes = (text: string) => parse(text).diagnostics.map((d) => `${d.severity}:${d.code}:${d.line}:${d.column}`);

describe('buildTree via parseKeepalivedConf', () => {
  it('nests blocks and keeps arguments', () => {
    const { tree, diagnostics } = parse('vrrp_instance VI_1 {\n  interface eth0\n  virtual_ipaddress {\n    10.0.0.1/24 dev eth0\n  }\n}\n');
    expect(diagnostics).toEqual([]);
    expect(tree).toHaveLength(1);
    const vi = tree[0]!;
    expect([vi.keyword.text, vi.args.map((a) => a.text)]).toEqual(['vrrp_instance', ['VI_1']]);
    expect(vi.children!.map((c) => c.keyword.text)).toEqual(['interface', 'virtual_ipaddress']);
    expect(vi.children![1]!.children![0]!.args.map((a) => a.text)).toEqual(['dev', 'eth0']);
    expect(vi.close?.line).toBe(6);
  });

  it('treats words after { or } on the same line as a new statement', () => {
    const { tree } = parse('global_defs { router_id a }\nvrrp_script s { script "x" }');
    expect(tree.map((n) => [n.keyword.text, n.children!.map((c) => c.keyword.text)])).toEqual([['global_defs', ['router_id']], ['vrrp_script', ['script']]]);
  });

  it('accepts a { on the line after its keyword', () => {
    const { tree, diagnostics } = parse('global_defs\n{\n  router_id a\n}\n');
    expect(diagnostics).toEqual([]);
    expect(tree[0]!.children!.map((c) => c.keyword.text)).toEqual(['router_id']);
  });

  it('reports every unclosed block at its opening brace', () => {
    expect(codes('virtual_server 10.0.0.1 80 {\n  real_server 10.0.0.2 80 {\n    weight 1\n')).toEqual([
      'error:unclosed-block:1:28',
      'error:unclosed-block:2:27',
    ]);
  });

  it('reports an extra } with no open block', () => {
    expect(codes('global_defs {\n}\n}\n')).toEqual(['error:unexpected-close:3:1']);
  });

  it('reports a { with no keyword', () => {
    expect(codes('{\n}\n')).toEqual(['error:unexpected-block:1:1']);
  });
});
