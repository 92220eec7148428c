/** Runs the IPVS guest suites in a VM and parses their TAP report (shared by both backends). */
import { bundleOneForVm, parseTap, runInVm, type TapTest, type VmBackend, type VmRunResult } from '../support/vm.ts';

export const IPVS_MODULES = ['ip_vs', 'ip_vs_rr', 'ip_vs_wrr', 'ip_vs_lc', 'ip_vs_wlc', 'ip_vs_lblc', 'ip_vs_lblcr', 'ip_vs_dh', 'ip_vs_sh',
  'ip_vs_sed', 'ip_vs_nq', 'ip_vs_mh', 'ip_vs_fo', 'ip_vs_ovf', 'ip_vs_pe_sip', 'veth'];
export const GUEST_SUITES = ['test/vm/guest/ipvs-contract.guest.ts', 'test/vm/guest/ipvs-reconcile.guest.ts', 'test/vm/guest/ipvs-traffic.guest.ts',
  'test/vm/guest/keepalived-to-kernel.guest.ts', 'test/vm/guest/agent-lb.guest.ts'];

/**
 * qemu/TCG runs JS ~3.5x slower and is CPU-bound on the shared 2 cores, so by default it runs
 * the kernel-facing suites (every genl operation + real traffic); the reconcile and
 * keepalived-conversion suites exercise the same kernel calls and run under UML.
 * VIGIL_VM_QEMU_FULL=1 runs everything on qemu too.
 */
export const QEMU_SUITES = process.env.VIGIL_VM_QEMU_FULL === '1' ? GUEST_SUITES : GUEST_SUITES.filter((f) => /ipvs-(contract|traffic)/.test(f));

export interface GuestRun { vm: VmRunResult; tests: TapTest[] }

export interface GuestOptions {
  suites?: string[];
  /** Only tests whose names match (node --test-name-pattern); the rest are dropped from the result. */
  namePattern?: string;
  kernel?: string;
  env?: Record<string, string>;
}

export async function runIpvsGuestSuites(backend: VmBackend, o: GuestOptions = {}): Promise<GuestRun> {
  const namePattern = o.namePattern;
  const files = [await bundleOneForVm(`ipvs-${backend}`, o.suites ?? GUEST_SUITES)];
  const cmd = ['node', '--test', '--test-reporter=tap', '--test-concurrency=1', ...(namePattern ? [`--test-name-pattern=${namePattern}`] : []), ...files];
  const vm = await runInVm({ backend, modules: IPVS_MODULES, cmd, timeoutSec: 300, kernel: o.kernel, env: o.env });
  return { vm, tests: parseTap(vm.stdout).filter((t) => !namePattern || !t.skipped) };
}
