/**
 * All 14 schedulers on a kernel that has them all: Debian bookworm's 6.12 kernel
 * (linux-image-6.12-amd64) under qemu. The 6.1 kernels lack ip_vs_twos (Linux 6.2+); there the
 * contract checks that NEW_SERVICE fails cleanly with ENOENT instead.
 */
import { describe, expect, it } from 'vitest';
import { requireCapabilities } from '../support/capabilities.ts';
import { runIpvsGuestSuites, type GuestRun } from './ipvs-guest.ts';

const enabled = requireCapabilities('IPVS schedulers on Debian 6.12 in qemu', ['root', 'qemu']);
const run: GuestRun | undefined = enabled
  ? await runIpvsGuestSuites('qemu', { kernel: 'linux-image-6.12-amd64', suites: ['test/vm/guest/ipvs-contract.guest.ts'], namePattern: 'schedulers|GET_INFO', env: { VIGIL_EXPECT_ALL_SCHEDULERS: '1' } })
  : undefined;

describe.skipIf(!enabled)('IPVS schedulers inside qemu with Debian 6.12', () => {
  it('the VM booted a 6.12 kernel and ran every scheduler check', () => {
    expect(run!.vm.code, `exit ${run!.vm.code}\n${run!.vm.stderr}\n${run!.vm.console.slice(-3000)}`).not.toBe(255);
    expect(run!.tests.map((t) => t.name)).toContain('schedulers > twos: a service with two destinations');
    expect(run!.tests.length).toBe(16);
  });
  for (const t of run?.tests ?? []) {
    it(t.name, () => expect(t.ok, t.detail).toBe(true));
  }
  it('the guest test runner exited 0', () => expect(run!.vm.code, run!.vm.stdout.slice(-4000)).toBe(0));
});
