/**
 * Capability gates for privileged suites. In CI (CI=true) a missing capability is a failure:
 * a suite that silently skips would count as green while proving nothing. On a developer
 * machine it skips, loudly, naming what it needed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Debian's libfaketime (clock-skew faults). */
export const FAKETIME_LIB = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';

export type Capability = 'root' | 'netns' | 'keepalived' | 'uml' | 'qemu' | 'chromium' | 'nft' | 'postgres' | 'tcpdump' | 'debootstrap' | 'faketime' | 'gnu-time' | 'prometheus' | 'iptables';

const probes: Record<Capability, () => boolean> = {
  root: () => process.getuid?.() === 0,
  netns: () => process.getuid?.() === 0 && commandWorks('ip', ['netns', 'list']),
  keepalived: () => existsSync('/usr/sbin/keepalived'),
  prometheus: () => existsSync('/usr/bin/prometheus') && existsSync('/usr/bin/promtool'),
  uml: () => existsSync('/usr/bin/linux') || existsSync('/usr/bin/linux.uml'),
  qemu: () => existsSync('/usr/bin/qemu-system-x86_64'),
  chromium: () => existsSync('/usr/bin/chromium'),
  nft: () => existsSync('/usr/sbin/nft'),
  postgres: () => true,
  tcpdump: () => existsSync('/usr/bin/tcpdump'),
  faketime: () => existsSync(FAKETIME_LIB),
  debootstrap: () => existsSync('/usr/sbin/debootstrap'),
  'gnu-time': () => existsSync('/usr/bin/time'),
  iptables: () => existsSync('/usr/sbin/iptables'),
};

function commandWorks(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Names of the capabilities in `needed` that this machine lacks. */
export function missingCapabilities(needed: Capability[]): Capability[] {
  return needed.filter((c) => !probes[c]());
}

/**
 * Returns true when the suite can run. Throws in CI when it cannot; otherwise prints why it
 * skips and returns false (use with `describe.skipIf(!requireCapabilities(...))`).
 */
export function requireCapabilities(suite: string, needed: Capability[]): boolean {
  const missing = missingCapabilities(needed);
  if (missing.length === 0) return true;
  const msg = `${suite}: needs ${missing.join(', ')}`;
  if (process.env.CI === 'true') throw new Error(`${msg} (CI=true: a missing capability fails the run)`);
  console.warn(`SKIPPING ${msg}. Run the test command as root on Debian/Ubuntu to include it.`);
  return false;
}
