/**
 * keepalived.conf -> cluster spec -> desired table -> kernel, inside the test VM: the real
 * seed configurations (typos and all) and one file that uses every LVS keyword Vigil programs.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { convertToSpec } from '../../../agent/src/keepalived/convert.ts';
import { parseKeepalivedConf } from '../../../agent/src/keepalived/parser.ts';
import { desiredTable } from '../../../agent/src/lb/desired.ts';
import { ClusterSpec } from '../../../schema/src/spec/cluster.ts';
import { ipvsadmTable } from './ipvsadm.ts';
import { assertKernelHolds, freshTablePerTest, sync } from './support.ts';

// The guest runs bundled (import.meta points at the bundle) with the repo as its cwd.
const SEEDS = `${process.cwd()}/test/fixtures/seed-configs`;

function tableFrom(input: { path: string } | { text: string }, strict = false) {
  const { tree } = parseKeepalivedConf(input);
  const { spec, diagnostics } = convertToSpec(tree, { file: 'path' in input ? input.path : 'keepalived.conf' });
  if (strict) assert.deepEqual(diagnostics, [], 'the keyword file must convert without findings');
  // Only the LVS half: several seed files have VRRP-side errors that do not concern IPVS.
  const lvs = ClusterSpec.parse({ version: 1, virtualServers: spec.virtualServers, virtualServerGroups: spec.virtualServerGroups });
  return desiredTable({ virtualServers: lvs.virtualServers, virtualServerGroups: lvs.virtualServerGroups, health: new Map() });
}

freshTablePerTest();

describe('seed keepalived.conf files with virtual_server', () => {
  const files = readdirSync(SEEDS).filter((f) => readFileSync(`${SEEDS}/${f}`, 'utf8').includes('virtual_server'));
  it('there are LVS seed files to run', () => assert.ok(files.length >= 5, files.join(', ')));
  for (const f of files) {
    it(f, async () => {
      const { table, problems } = tableFrom({ path: `${SEEDS}/${f}` });
      assert.deepEqual(problems, []);
      assert.ok(table.services.length > 0);
      assert.deepEqual((await sync(table)).failed, []);
      await assertKernelHolds(table);
      assert.deepEqual((await sync(table)).applied, []);
    });
  }
});

describe('every LVS keyword Vigil programs', () => {
  const conf = `
virtual_server_group web {
  10.20.0.1-2 80
  fwmark 20
}
virtual_server group web {
  lb_algo mh
  mh-port
  mh-fallback
  lvs_method TUN type gue port 6080 csum
  persistence_timeout 120
  persistence_granularity 255.255.255.0
  protocol TCP
  real_server 10.20.1.10 80 {
    weight 4
    uthreshold 1000
    lthreshold 100
  }
  real_server 10.20.1.11 80 {
    lvs_method DR
  }
}
virtual_server fd20::1 443 {
  lvs_sched sh
  sh-port
  lvs_method NAT
  protocol UDP
  ops
  sorry_server fd20::99 443
  sorry_server_inhibit
  real_server fd20::10 8443 {
    weight 2
  }
}
`;
  it('converts and programs exactly, seen by genl and ipvsadm', async () => {
    const { table, problems } = tableFrom({ text: conf }, true);
    assert.deepEqual(problems, []);
    assert.deepEqual([...table.services.map((s) => s.key.kind === 'fwmark' ? `FWM ${s.key.fwmark}` : `${s.key.protocol} ${s.key.address}:${s.key.port}`)],
      ['TCP 10.20.0.1:80', 'TCP 10.20.0.2:80', 'FWM 20', 'UDP fd20::1:443']);
    assert.deepEqual((await sync(table)).failed, []);
    await assertKernelHolds(table);
    const rows = ipvsadmTable();
    assert.equal(rows.get('TCP 10.20.0.1:80')!.line, 'TCP 10.20.0.1:80 mh (mh-fallback,mh-port) persistent 120 mask 255.255.255.0');
    assert.deepEqual(rows.get('TCP 10.20.0.2:80')!.dests.get('10.20.1.10:80'), { forward: 'Tunnel', tunnel: 'gue:6080:+c', weight: 4, upper: 1000, lower: 100 });
    assert.deepEqual(rows.get('FWM 20')!.dests.get('10.20.1.11:80'), { forward: 'Route', tunnel: 'n/a', weight: 1, upper: 0, lower: 0 });
    assert.equal(rows.get('UDP [fd20::1]:443')!.line, 'UDP [fd20::1]:443 sh (sh-port) ops');
    assert.equal(rows.get('UDP [fd20::1]:443')!.dests.get('[fd20::99]:443')!.weight, 0);
  });
});
