/**
 * The same IPVS contract as ipvs-uml.test.ts on the second backend: Debian's stock amd64
 * kernel (linux-image-amd64, 6.1) booted by qemu under TCG, with the guest suites
 * (test/vm/guest/*.guest.ts) run by `node --test`; each inner check becomes one test here.
 * Fails when the VM does not boot or any inner check fails. Which suites: QEMU_SUITES.
 */
import { describe, expect, it } from 'vitest';
import { requireCapabilities } from '../support/capabilities.ts';
import { QEMU_SUITES, runIpvsGuestSuites, type GuestRun } from './ipvs-guest.ts';

const enabled = requireCapabilities('IPVS contract in qemu (TCG)', ['root', 'qemu']);
const run: GuestRun | undefined = enabled ? await runIpvsGuestSuites('qemu', { suites: QEMU_SUITES }) : undefined;

describe.skipIf(!enabled)('IPVS inside qemu (TCG)', () => {
  it('the VM booted and the guest suites ran to the end', () => {
    expect(run!.vm.code, `exit ${run!.vm.code}\nstderr:\n${run!.vm.stderr}\nconsole:\n${run!.vm.console.slice(-3000)}`).not.toBe(255);
    expect(run!.tests.length).toBeGreaterThanOrEqual(QEMU_SUITES.length > 2 ? 43 : 27);
    console.log(`qemu: ${run!.tests.length} checks in ${run!.vm.wallMs} ms`);
  });
  for (const t of run?.tests ?? []) {
    it(t.name, () => {
      expect(t.skipped, `${t.name} was skipped in the guest`).toBe(false);
      expect(t.ok, t.detail).toBe(true);
    });
  }
  it('the guest test runner exited 0', () => {
    expect(run!.vm.code, run!.vm.stdout.slice(-4000) + run!.vm.stderr).toBe(0);
  });
});
