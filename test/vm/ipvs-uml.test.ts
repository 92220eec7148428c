/**
 * The IPVS contract on a real kernel: Debian's User-Mode Linux kernel (6.1, with ip_vs) runs
 * every guest suite (test/vm/guest/*.guest.ts) with `node --test`; each inner check becomes
 * one test here. Fails when the VM does not boot or any inner check fails. On a host whose CPU
 * refuses UML 6.1 (umlOrFallback in test/support/vm.ts) the same suites, all of them, run under
 * qemu, which needs its capability then.
 */
import { describe, expect, it } from 'vitest';
import { umlSuiteBackend } from '../support/vm.ts';
import { runIpvsGuestSuites, type GuestRun } from './ipvs-guest.ts';

const { backend, why, ready } = await umlSuiteBackend('IPVS contract in User-Mode Linux');
const run: GuestRun | undefined = ready ? await runIpvsGuestSuites(backend) : undefined;

describe.skipIf(!ready)(`IPVS inside User-Mode Linux${backend === 'qemu' ? ' (here: qemu)' : ''}`, () => {
  it('the VM booted and the guest suites ran to the end', () => {
    expect(run!.vm.code, `exit ${run!.vm.code}\nstderr:\n${run!.vm.stderr}\nconsole:\n${run!.vm.console.slice(-3000)}`).not.toBe(255);
    expect(run!.tests.length).toBeGreaterThanOrEqual(43);
    console.log(`${backend}: ${run!.tests.length} checks in ${run!.vm.wallMs} ms (${why})`);
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
