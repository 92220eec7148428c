/**
 * Reconcile against a real kernel: idempotence, minimal diffs, ownership of foreign entries,
 * and the spec -> desired table path (virtual_server_group, health, inhibit, quorum/sorry).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { desiredTable, realServerKey } from '../../../agent/src/lb/desired.ts';
import { lbIdentities } from '../../../agent/src/lb/identity.ts';
import type { VirtualServerTable } from '../../../agent/src/lb/model.ts';
import { ClusterSpec } from '../../../schema/src/spec/cluster.ts';
import { ipvsadm, ipvsadmTable } from './ipvsadm.ts';
import { assertKernelHolds, dest, freshTablePerTest, OWN_NOTHING, service, sync, tcp } from './support.ts';

freshTablePerTest();

function table(): VirtualServerTable {
  return { services: [
    service(tcp('10.5.0.1', 80), { scheduler: 'wrr', destinations: [dest('10.5.0.10', 80, { weight: 2 }), dest('10.5.0.11', 80)] }),
    service({ kind: 'fwmark', family: 'inet', fwmark: 9 }, { scheduler: 'rr', destinations: [dest('10.5.0.12', 0, { method: 'DR' })] }),
  ] };
}

describe('reconcile on a real kernel', () => {
  it('a second pass over an unchanged table applies nothing', async () => {
    const want = table();
    assert.equal((await sync(want)).applied.length, 5);
    const before = ipvsadm('-Ln');
    const again = await sync(want);
    assert.deepEqual(again, { applied: [], failed: [] });
    assert.equal(ipvsadm('-Ln'), before);
  });

  it('weight change, added and removed real server: exactly those operations', async () => {
    const want = table();
    await sync(want);
    const s = want.services[0]!;
    s.destinations = [dest('10.5.0.10', 80, { weight: 5 }), dest('10.5.0.13', 80)];
    const report = await sync(want);
    assert.deepEqual(report.applied.map((o) => `${o.op} ${'destination' in o ? o.destination.address : ''}`), [
      'add-destination 10.5.0.13', 'edit-destination 10.5.0.10', 'delete-destination 10.5.0.11',
    ]);
    await assertKernelHolds(want);
  });

  it('entries Vigil did not create are left alone; owned ones leave with the config; lvs_flush owns all', async () => {
    ipvsadm('-A', '-t', '10.5.9.1:80', '-s', 'rr');
    ipvsadm('-a', '-t', '10.5.9.1:80', '-r', '10.5.9.10:80', '-m');
    const want = table();
    await sync(want);
    assert.ok(ipvsadmTable().has('TCP 10.5.9.1:80'), 'foreign service survives a sync');
    // The config drops the fwmark service Vigil created: it goes, the foreign one stays.
    const owned = new Set(['TCP 10.5.0.1:80', 'FWM 9 inet']);
    const report = await sync({ services: [want.services[0]!] }, { owned, ownAll: false });
    assert.deepEqual(report.applied.map((o) => o.op), ['delete-service']);
    assert.deepEqual([...ipvsadmTable().keys()].sort(), ['TCP 10.5.0.1:80', 'TCP 10.5.9.1:80']);
    // lvs_flush: the config owns the whole table.
    await sync({ services: [want.services[0]!] }, { owned: new Set(), ownAll: true });
    assert.deepEqual([...ipvsadmTable().keys()], ['TCP 10.5.0.1:80']);
  });

  it('a destination added by hand to a service the config names is removed', async () => {
    const want = table();
    await sync(want);
    ipvsadm('-a', '-t', '10.5.0.1:80', '-r', '10.5.0.99:80', '-g');
    const report = await sync(want, OWN_NOTHING);
    assert.deepEqual(report.applied.map((o) => o.op), ['delete-destination']);
    await assertKernelHolds(want);
  });

  it('a service edited by hand (scheduler, weight) is put back', async () => {
    const want = table();
    await sync(want);
    ipvsadm('-E', '-t', '10.5.0.1:80', '-s', 'lc');
    ipvsadm('-e', '-t', '10.5.0.1:80', '-r', '10.5.0.11:80', '-m', '-w', '7');
    const report = await sync(want);
    assert.deepEqual(report.applied.map((o) => o.op), ['edit-service', 'edit-destination']);
    await assertKernelHolds(want);
  });
});

describe('cluster spec -> kernel', () => {
  const spec = ClusterSpec.parse({
    version: 1,
    virtualServerGroups: { web: { members: [{ address: '10.8.0.1-3', port: 80 }, { address: '10.8.0.16/31', port: 443 }, { fwmark: 8 }] } },
    virtualServers: [
      { group: 'web', scheduler: 'wlc', persistenceTimeoutMs: 300_000, persistenceGranularity: '255.255.0.0', realServers: [
        { address: '10.8.1.10', port: 8080, weight: 3 },
        { address: '10.8.1.11', port: 8080, inhibitOnFailure: true },
        { address: '10.8.1.12', port: 8080 },
      ] },
      { address: '10.8.0.9', port: 25, scheduler: 'sh', schedulerFlags: ['sh-fallback', 'sh-port'], method: 'DR', quorum: 2,
        sorryServer: { address: '10.8.1.99', port: 25, method: 'NAT' },
        realServers: [{ address: '10.8.1.20', port: 25 }, { address: '10.8.1.21', port: 25 }] },
    ],
  });

  it('virtual_server_group expands to one service per member, each with the pool', async () => {
    const { table: want } = desiredTable({ virtualServers: spec.virtualServers, virtualServerGroups: spec.virtualServerGroups, health: new Map() });
    assert.equal(want.services.length, 7);
    assert.deepEqual((await sync(want)).failed, []);
    await assertKernelHolds(want);
    assert.deepEqual([...ipvsadmTable().keys()].sort(), ['FWM 8', 'TCP 10.8.0.16:443', 'TCP 10.8.0.17:443', 'TCP 10.8.0.1:80', 'TCP 10.8.0.2:80', 'TCP 10.8.0.3:80', 'TCP 10.8.0.9:25']);
  });

  it('health: down leaves the pool, inhibit_on_failure keeps weight 0, lost quorum brings the sorry server', async () => {
    const health = new Map([[realServerKey(spec.virtualServers, 0, 1), false], [realServerKey(spec.virtualServers, 0, 2), false], [realServerKey(spec.virtualServers, 1, 0), false]]);
    const { table: want, quorum } = desiredTable({ virtualServers: spec.virtualServers, virtualServerGroups: spec.virtualServerGroups, health });
    assert.equal(quorum.get(lbIdentities(spec.virtualServers).vs[1]!), false);
    await sync(desiredTable({ virtualServers: spec.virtualServers, virtualServerGroups: spec.virtualServerGroups, health: new Map() }).table);
    assert.deepEqual((await sync(want)).failed, []);
    await assertKernelHolds(want);
    const listing = ipvsadmTable();
    assert.deepEqual([...listing.get('TCP 10.8.0.1:80')!.dests.entries()].map(([id, d]) => `${id} ${d.weight}`), ['10.8.1.10:8080 3', '10.8.1.11:8080 0']);
    assert.deepEqual([...listing.get('TCP 10.8.0.9:25')!.dests.keys()], ['10.8.1.99:25']);
    assert.equal(listing.get('TCP 10.8.0.9:25')!.dests.get('10.8.1.99:25')!.forward, 'Masq');
  });
});
