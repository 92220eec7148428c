import { describe, expect, it } from 'vitest';
import { memoryConfigFs } from './fs.ts';
import { allBlocks, lookupBlock, rootBlock } from './keywords/index.ts';
import { parseKeepalivedConf } from './parser.ts';

const diags = (text: string) => parseKeepalivedConf({ text }, { file: '/k.conf', fs: memoryConfigFs({}) }).diagnostics;
const inInstance = (body: string) => diags(`vrrp_instance V {\n  interface eth0\n  virtual_router_id 1\n${body}\n}\n`);
const brief = (list: ReturnType<typeof diags>) => list.map((d) => `${d.severity}:${d.code}:${d.line}:${d.column}`);

describe('keyword tables', () => {
  it('every block reference resolves to a table', () => {
    for (const block of Object.values(allBlocks())) {
      for (const spec of Object.values(block.keywords ?? {})) if (spec.block) expect(() => lookupBlock(spec.block!)).not.toThrow();
    }
  });
  it('every alias points at a keyword of the same block', () => {
    for (const block of Object.values(allBlocks())) {
      for (const [name, spec] of Object.entries(block.keywords ?? {})) {
        if (spec.aliasOf) expect(block.keywords![spec.aliasOf], `${block.name}.${name}`).toBeDefined();
      }
    }
    expect(rootBlock.keywords!.vrrp_instance!.block).toBe('vrrp_instance');
  });
});

describe('validateTree', () => {
  it('unknown keyword: error with did-you-mean from the keywords valid in that block', () => {
    const d = inInstance('  authentication {\n    auth_type PASS\n    autp_pass 1234\n  }');
    expect(d).toMatchObject([{ severity: 'error', code: 'unknown-keyword', line: 6, column: 5, hint: 'did you mean "auth_pass"?' }]);
    expect(d[0]!.message).toContain('autp_pass');
  });

  it('suggests joining words split by spaces', () => {
    expect(inInstance('  lvs sync daemon interface eth0')[0]).toMatchObject({ code: 'unknown-keyword', hint: 'did you mean "lvs_sync_daemon_interface eth0"?' });
  });

  it('says where a keyword belongs when it is in the wrong block', () => {
    expect(diags('virtual_server 10.0.0.1 80 {\n  auth_pass x\n}')[0]).toMatchObject({ code: 'unknown-keyword', hint: '"auth_pass" belongs in a "authentication" block, not in "virtual_server"' });
  });

  it('names keepalived keywords Vigil does not support, as warnings', () => {
    const d = diags('global_defs {\n  enable_snmp_vrrp\n  notification_email {\n    a@b\n  }\n}');
    expect(brief(d)).toEqual(['warning:unsupported:2:3', 'warning:unsupported:3:3']);
    expect(d[0]!.message).toContain('"enable_snmp_vrrp"');
  });

  it('old names: lb_algo/lb_kind as info, nb_get_retry as warning', () => {
    const d = diags('virtual_server 10.0.0.1 80 {\n  lb_algo rr\n  lb_kind DR\n  real_server 10.0.0.2 80 {\n    TCP_CHECK {\n      nb_get_retry 3\n    }\n  }\n}');
    expect(brief(d)).toEqual(['info:deprecated:2:3', 'info:deprecated:3:3', 'warning:deprecated:6:7']);
    expect(d[2]!.hint).toBe('write "retry"');
  });

  it('checks argument types and ranges, saying what was expected', () => {
    const d = inInstance('  priority 300\n  state master\n  advert_int x');
    expect(d.map((x) => [x.code, x.line, x.expected])).toEqual([
      ['invalid-value', 4, 'an integer 1..255'],
      ['invalid-value', 5, 'one of MASTER|BACKUP'],
      ['invalid-value', 6, 'seconds (0.01..255, fractions allowed)'],
    ]);
  });

  it('reports a missing argument after the keyword', () => {
    expect(inInstance('  priority')).toMatchObject([{ code: 'missing-argument', line: 4, column: 11 }]);
  });

  it('// at the start of a line is an error; after ignored arguments a warning; after lvs_method an error', () => {
    const d = diags('// note\nglobal_defs {\n  router_id a // name\n}\nvirtual_server 10.0.0.1 80 {\n  lvs_method DR // kind\n}');
    expect(brief(d)).toEqual(['error:slash-comment:1:1', 'warning:slash-comment:3:15', 'error:slash-comment:6:17']);
    expect(d.every((x) => x.hint?.includes('"//" is not a comment'))).toBe(true);
  });

  it('// inside address and track lists is an error (keepalived rejects those lines)', () => {
    const d = inInstance('  virtual_ipaddress {\n    10.0.0.1 // vip\n  }\n  track_interface { // why\n    eth1\n  }');
    expect(brief(d)).toEqual(['error:slash-comment:5:14', 'error:slash-comment:7:21']);
  });

  it('other extra words are warnings naming them', () => {
    expect(inInstance('  priority 100 200')).toMatchObject([{ severity: 'warning', code: 'extra-argument', line: 4, column: 16 }]);
  });

  it('address lines: prefix and known options only', () => {
    const d = inInstance('  virtual_ipaddress {\n    10.0.0.1/24 brd 10.0.0.255 dev eth0 label eth0:1 scope global\n    fe80::1/64 -nodad\n    10.0.0.300\n    10.0.0.2 frob\n  }');
    expect(brief(d)).toEqual(['error:invalid-value:7:5', 'error:invalid-value:8:14']);
  });

  it('track lists: NAME [weight W [reverse]]', () => {
    const d = inInstance('  track_interface {\n    eth1 weight -20\n    eth2 weight 2 reverse\n    eth3 weight x\n    eth4 junk\n  }');
    expect(brief(d)).toEqual(['error:invalid-value:7:17', 'error:extra-argument:8:10']);
  });

  it('unicast peers and routes', () => {
    const d = inInstance('  unicast_peer {\n    10.0.0.2 min_ttl 1\n    nope\n  }\n  virtual_routes {\n    src 10.0.0.1 to 10.1.0.0/16 via 10.0.0.254 dev eth0\n    blackhole 10.9.0.0/16\n    172.51.97/24 dev eth0\n  }');
    expect(brief(d)).toEqual(['error:invalid-value:6:5', 'error:invalid-value:11:5']);
  });

  it('virtual_server address forms', () => {
    expect(brief(diags('virtual_server fwmark 5 {\n}\nvirtual_server group G {\n}\nvirtual_server 10.0.0.1 http {\n}\nvirtual_server nope 80 {\n}'))).toEqual([
      'error:invalid-value:5:25',
      'error:invalid-value:7:16',
    ]);
  });

  it('blocks: required, and refused where a keyword takes none', () => {
    expect(brief(inInstance('  virtual_ipaddress 10.0.0.1\n  priority 100 {\n  }'))).toEqual(['error:missing-block:4:3', 'warning:extra-argument:4:21', 'error:unexpected-block:5:16']);
  });

  it('persistence_timeout 0 warns (keepalived 2.2.7 rejects 0); nat_mask is an error (removed)', () => {
    const d = diags('virtual_server 10.0.0.1 80 {\n  persistence_timeout 0\n  nat_mask 255.255.255.0\n}');
    expect(brief(d)).toEqual(['warning:invalid-value:2:23', 'error:unknown-keyword:3:3']);
  });

  it('conditional @id lines and $definitions are read as keepalived reads them', () => {
    const withId = (configId: string, text: string) => parseKeepalivedConf({ text }, { file: '/k.conf', fs: memoryConfigFs({}), configId }).diagnostics;
    expect(brief(withId('lb1', '@lb1 global_defs {\n}\n$X=1\n'))).toEqual([]);
    // On another node the `global_defs {` line is dropped, so its `}` has no block to close.
    expect(brief(withId('lb2', '@lb1 global_defs {\n}\n$X=1\n'))).toEqual(['error:unexpected-close:2:1']);
  });

  it('checks the contents of a misspelt block as the block it was meant to be', () => {
    expect(brief(diags('lobal_defs {\n  router_id a\n  routr_id b\n}'))).toEqual(['error:unknown-keyword:1:1', 'error:unknown-keyword:3:3']);
  });
});
