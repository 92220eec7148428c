/**
 * IPVS contract, run inside a real kernel (UML or qemu, see test/vm/ipvs.test.ts): every
 * operation through Vigil's genl client, checked through its own dump AND `ipvsadm -Ln`.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { Scheduler, VirtualServerTable } from '../../../agent/src/lb/model.ts';
import { assertKernelHolds, dest, freshTablePerTest, ipvs, service, sync, tcp } from './support.ts';

const SCHEDULERS: Scheduler[] = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'mh', 'fo', 'ovf', 'twos'];

/** Whether this kernel ships the scheduler's module (ip_vs_twos arrived in Linux 6.2). */
function kernelHasScheduler(s: Scheduler): boolean {
  const release = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  const dep = `/lib/modules/${release}/modules.dep`;
  return existsSync(dep) && readFileSync(dep, 'utf8').includes(`/ip_vs_${s}.ko`);
}

freshTablePerTest();

describe('info', () => {
  it('GET_INFO reports the IPVS API version and table size', async () => {
    const r = await (await ipvs()).info();
    assert.ok(r.ok);
    assert.equal(r.value.version, '1.2.1');
    assert.ok(r.value.connTableSize > 0);
  });
});

describe('schedulers', () => {
  for (const scheduler of SCHEDULERS) {
    it(`${scheduler}: a service with two destinations`, async () => {
      const want: VirtualServerTable = { services: [service(tcp('10.1.0.1', 80), { scheduler, destinations: [dest('10.1.0.10', 8080), dest('10.1.0.11', 8080, { weight: 2 })] })] };
      const report = await sync(want);
      // Set by the host for kernels that must have every scheduler (6.12 has ip_vs_twos).
      if (process.env.VIGIL_EXPECT_ALL_SCHEDULERS === '1') assert.ok(kernelHasScheduler(scheduler), `this kernel lacks ip_vs_${scheduler}`);
      if (!kernelHasScheduler(scheduler)) {
        // No module: NEW_SERVICE fails with ENOENT (ip_vs_scheduler_get), nothing is half-made.
        assert.equal(report.failed[0]?.op.op, 'add-service');
        assert.equal(report.failed[0]?.code, 'ENOENT');
        assert.equal(ipvsadm_count(), 0);
        return;
      }
      assert.deepEqual(report.failed, []);
      await assertKernelHolds(want);
    });
  }

  it('scheduler flags: sh-fallback,sh-port; mh-fallback,mh-port; flag-3; ops', async () => {
    const want: VirtualServerTable = { services: [
      service(tcp('10.1.0.2', 80), { scheduler: 'sh', flags: { onePacket: false, sched1: true, sched2: true, sched3: false }, destinations: [dest('10.1.0.10', 80)] }),
      service(tcp('10.1.0.3', 80), { scheduler: 'mh', flags: { onePacket: false, sched1: true, sched2: true, sched3: false }, destinations: [dest('10.1.0.10', 80)] }),
      service(tcp('10.1.0.4', 80), { scheduler: 'rr', flags: { onePacket: false, sched1: false, sched2: false, sched3: true } }),
      service({ kind: 'address', family: 'inet', protocol: 'UDP', address: '10.1.0.5', port: 53 }, { scheduler: 'rr', flags: { onePacket: true, sched1: false, sched2: false, sched3: false } }),
    ] };
    assert.deepEqual((await sync(want)).failed, []);
    await assertKernelHolds(want);
    // Flags change in place (SET_SERVICE), not by delete + add.
    want.services[0]!.flags.sched1 = false;
    const report = await sync(want);
    assert.deepEqual(report.applied.map((o) => o.op), ['edit-service']);
    await assertKernelHolds(want);
  });
});

describe('persistence', () => {
  it('timeout and IPv4 netmask, IPv6 prefix, then off again', async () => {
    const want: VirtualServerTable = { services: [
      service(tcp('10.2.0.1', 443), { scheduler: 'rr', persistence: { timeoutSec: 300, netmaskPrefix: 24 }, destinations: [dest('10.2.0.10', 443)] }),
      service(tcp('10.2.0.2', 0), { scheduler: 'rr', persistence: { timeoutSec: 60, netmaskPrefix: 32 } }),
      service(tcp('2001:db8:2::1', 443), { scheduler: 'wlc', persistence: { timeoutSec: 120, netmaskPrefix: 64 }, destinations: [dest('2001:db8:2::10', 443)] }),
    ] };
    assert.deepEqual((await sync(want)).failed, []);
    await assertKernelHolds(want);
    delete want.services[0]!.persistence;
    assert.deepEqual((await sync(want)).applied.map((o) => o.op), ['edit-service']);
    await assertKernelHolds(want);
  });

  it('persistence engine sip on a UDP service', async () => {
    const want: VirtualServerTable = { services: [
      service({ kind: 'address', family: 'inet', protocol: 'UDP', address: '10.2.0.3', port: 5060 }, { scheduler: 'rr', persistence: { timeoutSec: 30, netmaskPrefix: 32 }, persistenceEngine: 'sip' }),
    ] };
    assert.deepEqual((await sync(want)).failed, []);
    await assertKernelHolds(want);
  });
});

describe('fwmark services', () => {
  it('IPv4 and IPv6 fwmark services with DR and NAT destinations', async () => {
    const want: VirtualServerTable = { services: [
      service({ kind: 'fwmark', family: 'inet', fwmark: 5 }, { scheduler: 'rr', destinations: [dest('10.3.0.10', 0, { method: 'DR' }), dest('10.3.0.11', 0, { method: 'DR', weight: 4 })] }),
      service({ kind: 'fwmark', family: 'inet6', fwmark: 5 }, { scheduler: 'wrr', destinations: [dest('2001:db8:3::10', 0, { method: 'DR' })] }),
      service({ kind: 'fwmark', family: 'inet', fwmark: 0xfffffffe }, { scheduler: 'sh', persistence: { timeoutSec: 600, netmaskPrefix: 16 }, destinations: [dest('10.3.0.12', 80)] }),
    ] };
    assert.deepEqual((await sync(want)).failed, []);
    await assertKernelHolds(want);
  });
});

describe('forwarding methods and tunnels', () => {
  it('NAT, DR, TUN ipip/gue(port, csum)/gre(csum), weights and thresholds', async () => {
    const want: VirtualServerTable = { services: [
      service(tcp('10.4.0.1', 80), { scheduler: 'wlc', destinations: [
        dest('10.4.0.10', 8080, { method: 'NAT', weight: 3, upperThreshold: 100, lowerThreshold: 50 }),
        dest('10.4.0.11', 80, { method: 'DR', weight: 0 }),
        dest('10.4.0.12', 80, { method: 'TUN', tunnel: { type: 'ipip', port: 0, checksum: 'nocsum' } }),
        dest('10.4.0.13', 80, { method: 'TUN', tunnel: { type: 'gue', port: 6080, checksum: 'csum' } }),
        dest('10.4.0.14', 80, { method: 'TUN', tunnel: { type: 'gue', port: 6081, checksum: 'remcsum' } }),
        dest('10.4.0.15', 80, { method: 'TUN', tunnel: { type: 'gre', port: 0, checksum: 'csum' } }),
        dest('10.4.0.16', 80, { method: 'TUN', tunnel: { type: 'gre', port: 0, checksum: 'nocsum' } }),
      ] }),
    ] };
    assert.deepEqual((await sync(want)).failed, []);
    await assertKernelHolds(want);
    // Method, tunnel and threshold changes are SET_DEST in place.
    const d = want.services[0]!.destinations;
    d[0] = { ...d[0]!, upperThreshold: 10, lowerThreshold: 5 };
    d[1] = { ...d[1]!, method: 'TUN', tunnel: { type: 'gue', port: 7000, checksum: 'nocsum' } };
    d[2] = { ...d[2]!, method: 'NAT' };
    delete d[2].tunnel;
    const report = await sync(want);
    assert.deepEqual(report.applied.map((o) => o.op), ['edit-destination', 'edit-destination', 'edit-destination']);
    await assertKernelHolds(want);
  });

  it('an IPv6 destination behind an IPv4 service only through a tunnel (mixed family)', async () => {
    const want: VirtualServerTable = { services: [service(tcp('10.4.0.2', 80), { scheduler: 'rr', destinations: [dest('2001:db8:4::10', 80, { method: 'TUN', tunnel: { type: 'ipip', port: 0, checksum: 'nocsum' } })] })] };
    assert.deepEqual((await sync(want)).failed, []);
    await assertKernelHolds(want);
    // NAT across families is refused by the kernel (EINVAL), and reported, not thrown.
    const bad: VirtualServerTable = { services: [service(tcp('10.4.0.3', 80), { scheduler: 'rr', destinations: [dest('2001:db8:4::11', 80)] })] };
    const report = await sync(bad);
    assert.equal(report.failed.length, 1);
    assert.equal(report.failed[0]!.code, 'EINVAL');
  });
});

describe('idempotent operations', () => {
  it('add twice edits, delete twice succeeds, on services and destinations', async () => {
    const t = await ipvs();
    const key = tcp('10.9.0.1', 80);
    const d = dest('10.9.0.10', 80);
    const ok = { ok: true, value: undefined };
    assert.deepEqual(await t.apply({ op: 'add-service', service: service(key, { scheduler: 'rr' }) }), ok);
    assert.deepEqual(await t.apply({ op: 'add-service', service: service(key, { scheduler: 'wrr' }) }), ok);
    assert.deepEqual(await t.apply({ op: 'add-destination', key, destination: d }), ok);
    assert.deepEqual(await t.apply({ op: 'add-destination', key, destination: { ...d, weight: 9 } }), ok);
    await assertKernelHolds({ services: [service(key, { scheduler: 'wrr', destinations: [{ ...d, weight: 9 }] })] });
    assert.deepEqual(await t.apply({ op: 'delete-destination', key, destination: d }), ok);
    assert.deepEqual(await t.apply({ op: 'delete-destination', key, destination: d }), ok);
    assert.deepEqual(await t.apply({ op: 'delete-service', key }), ok);
    assert.deepEqual(await t.apply({ op: 'delete-service', key }), ok);
    assert.equal(ipvsadm_count(), 0);
  });

  it('kernel refusals come back as results with the errno: edit of a missing service, bad tunnel', async () => {
    const t = await ipvs();
    const r = await t.apply({ op: 'edit-service', service: service(tcp('10.9.0.2', 80)) });
    assert.deepEqual(r.ok ? 'ok' : r.code, 'ESRCH');
    await t.apply({ op: 'add-service', service: service(tcp('10.9.0.3', 80)) });
    // GUE needs a destination port (ip_vs_ctl.c: EINVAL without one).
    const g = await t.apply({ op: 'add-destination', key: tcp('10.9.0.3', 80), destination: dest('10.9.0.30', 80, { method: 'TUN', tunnel: { type: 'gue', port: 0, checksum: 'nocsum' } }) });
    assert.deepEqual(g.ok ? 'ok' : g.code, 'EINVAL');
  });
});

describe('IPv6 services', () => {
  it('TCP, UDP and SCTP over IPv6', async () => {
    const want: VirtualServerTable = { services: [
      service(tcp('2001:db8:6::1', 80), { scheduler: 'rr', destinations: [dest('2001:db8:6::10', 80), dest('2001:db8:6::11', 8080, { method: 'DR' })] }),
      service({ kind: 'address', family: 'inet6', protocol: 'UDP', address: '2001:db8:6::1', port: 53 }, { scheduler: 'sh', destinations: [dest('2001:db8:6::12', 53)] }),
      service({ kind: 'address', family: 'inet', protocol: 'SCTP', address: '10.6.0.1', port: 3868 }, { scheduler: 'rr', destinations: [dest('10.6.0.10', 3868)] }),
    ] };
    assert.deepEqual((await sync(want)).failed, []);
    await assertKernelHolds(want);
  });
});

function ipvsadm_count(): number {
  return ipvsadmLines().length;
}

function ipvsadmLines(): string[] {
  return readIpvs().filter((l) => /^(TCP|UDP|SCTP|FWM)\s/.test(l));
}

function readIpvs(): string[] {
  return readFileSync('/proc/net/ip_vs', 'utf8').split('\n').slice(3).filter(Boolean);
}

