/**
 * The Debian packages the test suites need, and the one place that installs them. Used by
 * `npm test` (test/run-all.mjs) before anything runs; kept in one list so the README, CI and the
 * suites' capability probes cannot drift apart.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** package -> why a suite needs it */
export const SYSTEM_PACKAGES = {
  postgresql: 'db/http suites and benchmarks run against a real PostgreSQL server',
  keepalived: 'interop peer in the netns suites and the failover benchmark',
  iproute2: 'ip netns / veth / bridge for the netns lab',
  nftables: 'the nftables load-balancing backend',
  e2fsprogs: 'the soak\'s state disks: ext4 images that fill up and go read-only (mkfs.ext4, e2fsck)',
  iptables: 'the soak\'s advert delay: its NFQUEUE target (xt, through nft compat) hands a director\'s adverts to a delay line; this kernel has neither sch_netem nor nft\'s queue',
  kmod: 'modprobe/depmod for the test kernel',
  ipvsadm: 'cross-checks Vigil\'s IPVS genl programming inside the test kernel',
  'user-mode-linux': 'a stock Debian kernel with ip_vs, run as a process (test:vm)',
  'qemu-system-x86': 'second test-kernel backend (qemu under TCG)',
  'busybox-static': 'initramfs for the qemu backend',
  'xz-utils': 'unpacking the test kernel image',
  tcpdump: 'packet captures in the netns suites',
  libfaketime: 'clock-skew faults: the advert pacer must not spin when a preloaded clock library breaks timed waits',
  curl: 'the install script is run with curl, as operators do',
  chromium: 'the dashboard browser suite',
  debootstrap: 'a fresh Debian root filesystem to prove the install script',
  time: 'GNU time: the keepalived.conf fuzz suite measures the CPU time and peak memory of vigil check',
  prometheus: 'the metrics suite: a real Prometheus scrapes an agent pair and the control plane and runs every shipped dashboard query and alert rule (promtool checks the rules)',
};

function isInstalled(pkg) {
  try {
    const out = execFileSync('dpkg-query', ['-W', '-f=${Status}', pkg], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    return out.includes('install ok installed');
  } catch {
    return false;
  }
}

/**
 * As root on Debian/Ubuntu: installs what is missing (`apt-get update` first). Otherwise says
 * what it could not install. Returns the packages still missing afterwards.
 */
export function ensureSystemPackages(log = (s) => process.stderr.write(`${s}\n`)) {
  const isDebian = existsSync('/usr/bin/apt-get') && existsSync('/usr/bin/dpkg-query');
  if (!isDebian) {
    log('setup: not a Debian/Ubuntu system; install these yourself: ' + Object.keys(SYSTEM_PACKAGES).join(' '));
    return Object.keys(SYSTEM_PACKAGES);
  }
  const missing = Object.keys(SYSTEM_PACKAGES).filter((p) => !isInstalled(p));
  if (missing.length === 0) return [];
  if (process.getuid?.() !== 0) {
    log(`setup: not root, so these system packages stay missing (the suites that need them will say so):`);
    for (const p of missing) log(`  ${p.padEnd(18)} ${SYSTEM_PACKAGES[p]}`);
    return missing;
  }
  log(`setup: installing ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
  // Debian starts the services it installs; the suites run their own instances instead.
  for (const svc of ['keepalived', 'postgresql', 'prometheus', 'prometheus-node-exporter']) {
    try { execFileSync('systemctl', ['disable', '--now', svc], { stdio: 'ignore' }); } catch { /* no systemd */ }
  }
  return Object.keys(SYSTEM_PACKAGES).filter((p) => !isInstalled(p));
}
