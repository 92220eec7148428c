/**
 * Re-runnable capture of the VRRP adverts real keepalived sends, for the golden-byte tests in
 * agent/src/vrrp/packet.golden.test.ts. Not part of any test run (not a *.test.ts file).
 *
 *   sudo npx tsx test/net/capture-keepalived.ts            # writes test/fixtures/vrrp-captures/
 *
 * Topology: two namespaces joined by a veth. keepalived runs in `vgcap-ka` on `vgcap-a`
 * (192.0.2.1, fe80::1); tcpdump listens in `vgcap-rx` on `vgcap-b` (192.0.2.2, fe80::2).
 * Addresses are fixed (IPv6 link-local set by hand, addrgenmode none) so the checksums, which
 * depend on the source address in the v3 pseudo-header, are the same on every run.
 *
 * keepalived 2.2.7 has no `v3_checksum_as_v2` ("Unknown keyword"; it arrived in a later
 * release), so the RFC 9568 checksum form cannot be captured from it; packet.golden.test.ts
 * checks it against independently computed values instead.
 *
 * Each scenario runs keepalived with a minimal config until it has been master for a while,
 * then sends SIGTERM so the capture also holds the priority-0 "I am leaving" advert.
 * Everything created here is removed in `finally`, by name or pid.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const NS_KA = 'vgcap-ka';
const NS_RX = 'vgcap-rx';
const OUT_DIR = resolve(import.meta.dirname, '../fixtures/vrrp-captures');

interface Scenario {
  name: string;
  description: string;
  globalDefs: string;
  instance: string;
  /** How long to let keepalived run before SIGTERM. */
  runMs: number;
}

const SCENARIOS: Scenario[] = [
  {
    name: 'v2-pass-auth',
    description: 'VRRPv2, IPv4, auth_type PASS auth_pass secret12, advert_int 1, priority 150, 2 VIPs',
    globalDefs: '',
    instance: `
    state MASTER
    interface vgcap-a
    virtual_router_id 51
    priority 150
    advert_int 1
    authentication {
      auth_type PASS
      auth_pass secret12
    }
    virtual_ipaddress {
      192.0.2.100/24
      192.0.2.101/24
    }`,
    runMs: 6000,
  },
  {
    name: 'v3-ipv4-pseudo',
    description: 'VRRPv3, IPv4, advert_int 0.1, priority 100, checksum WITH the IPv4 pseudo-header (keepalived default)',
    globalDefs: '',
    instance: `
    version 3
    state BACKUP
    interface vgcap-a
    virtual_router_id 52
    priority 100
    advert_int 0.1
    virtual_ipaddress {
      192.0.2.110/24
    }`,
    runMs: 2000,
  },
  {
    name: 'v3-ipv6',
    description: 'VRRPv3, IPv6, advert_int 1, priority 200, link-local VIP first',
    globalDefs: '',
    instance: `
    version 3
    state BACKUP
    interface vgcap-a
    virtual_router_id 54
    priority 200
    advert_int 1
    virtual_ipaddress {
      fe80::54/64
      2001:db8::54/64
    }`,
    runMs: 6000,
  },
];

function sh(cmd: string, args: string[], opts: { ignoreError?: boolean } = {}): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    if (opts.ignoreError) return '';
    throw new Error(`${cmd} ${args.join(' ')} failed`, { cause: err });
  }
}

function inNs(ns: string, args: string[]): string {
  return sh('ip', ['netns', 'exec', ns, ...args]);
}

function setupTopology(): void {
  teardownTopology();
  sh('ip', ['netns', 'add', NS_KA]);
  sh('ip', ['netns', 'add', NS_RX]);
  sh('ip', ['link', 'add', 'vgcap-a', 'netns', NS_KA, 'type', 'veth', 'peer', 'name', 'vgcap-b', 'netns', NS_RX]);
  for (const [ns, dev, v4, v6, mac] of [
    [NS_KA, 'vgcap-a', '192.0.2.1/24', 'fe80::1/64', '02:00:00:00:00:01'],
    [NS_RX, 'vgcap-b', '192.0.2.2/24', 'fe80::2/64', '02:00:00:00:00:02'],
  ] as const) {
    inNs(ns, ['ip', 'link', 'set', 'lo', 'up']);
    inNs(ns, ['ip', 'link', 'set', dev, 'address', mac]);
    inNs(ns, ['ip', 'link', 'set', dev, 'addrgenmode', 'none']);
    inNs(ns, ['ip', 'addr', 'add', v4, 'dev', dev]);
    inNs(ns, ['ip', 'addr', 'add', v6, 'dev', dev, 'nodad']);
    inNs(ns, ['ip', 'link', 'set', dev, 'up']);
  }
}

function teardownTopology(): void {
  sh('ip', ['netns', 'del', NS_KA], { ignoreError: true });
  sh('ip', ['netns', 'del', NS_RX], { ignoreError: true });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function waitExit(child: ChildProcess, timeoutMs: number): Promise<void> {
  return new Promise((res) => {
    if (child.exitCode !== null || child.signalCode !== null) return res();
    const t = setTimeout(() => {
      if (child.pid) process.kill(child.pid, 'SIGKILL');
      res();
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(t);
      res();
    });
  });
}

/** Minimal pcap reader (LINKTYPE_ETHERNET): returns the IP datagrams, Ethernet header stripped. */
export function readPcapIpPackets(buf: Buffer): Buffer[] {
  const magic = buf.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const linkType = u32(20);
  if (linkType !== 1) throw new Error(`pcap link type ${linkType}, expected 1 (Ethernet)`);
  const out: Buffer[] = [];
  let off = 24;
  while (off + 16 <= buf.length) {
    const inclLen = u32(off + 8);
    const frame = buf.subarray(off + 16, off + 16 + inclLen);
    off += 16 + inclLen;
    const etherType = frame.readUInt16BE(12);
    if (etherType === 0x0800 || etherType === 0x86dd) out.push(Buffer.from(frame.subarray(14)));
  }
  return out;
}

async function runScenario(s: Scenario, work: string): Promise<void> {
  const conf = join(work, `${s.name}.conf`);
  writeFileSync(
    conf,
    `global_defs {\n  router_id vgcap\n  ${s.globalDefs}\n}\nvrrp_instance VI_${s.name.replace(/-/g, '_')} {${s.instance}\n}\n`,
  );
  const pcap = join(OUT_DIR, `${s.name}.pcap`);
  const tcpdump = spawn('ip', ['netns', 'exec', NS_RX, 'tcpdump', '-i', 'vgcap-b', '-U', '-s', '0', '-w', pcap, 'ip proto 112 or ip6 proto 112'], { stdio: 'ignore' });
  await sleep(500);
  const ka = spawn(
    'ip',
    ['netns', 'exec', NS_KA, '/usr/sbin/keepalived', '-n', '-l', '-D', '-P', '-f', conf,
      '-p', join(work, `${s.name}.pid`), '-r', join(work, `${s.name}.vrrp.pid`), '-c', join(work, `${s.name}.chk.pid`)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  ka.stdout?.on('data', (d) => (log += d));
  ka.stderr?.on('data', (d) => (log += d));
  try {
    await sleep(s.runMs);
    // `ip netns exec` execs keepalived, so ka.pid is keepalived's own pid.
    if (ka.pid) process.kill(ka.pid, 'SIGTERM');
    await waitExit(ka, 5000);
    await sleep(300);
  } finally {
    if (tcpdump.pid) process.kill(tcpdump.pid, 'SIGTERM');
    await waitExit(tcpdump, 3000);
  }
  writeFileSync(join(OUT_DIR, `${s.name}.keepalived.txt`), log);
  const packets = readPcapIpPackets(readFileSync(pcap));
  // Keep the distinct packets in order of first appearance: the steady-state advert(s) and
  // the priority-0 shutdown advert.
  const seen = new Set<string>();
  const lines: string[] = [`# ${s.description}`, `# config: ${s.name}.conf; ${packets.length} packets captured; one full IP packet per distinct VRRP payload, in order`];
  for (const p of packets) {
    // Dedupe on the VRRP payload: the IPv4 identification field changes on every packet.
    const headerLen = p[0]! >> 4 === 4 ? (p[0]! & 0x0f) * 4 : 40;
    const key = p.subarray(headerLen).toString('hex');
    if (seen.has(key)) continue;
    seen.add(key);
    lines.push(p.toString('hex'));
  }
  writeFileSync(join(OUT_DIR, `${s.name}.hex`), lines.join('\n') + '\n');
  writeFileSync(join(OUT_DIR, `${s.name}.conf`), readFileSync(conf));
  console.log(`${s.name}: ${packets.length} packets, ${seen.size} distinct`);
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('capture-keepalived: run as root (needs netns, keepalived, tcpdump)');
  mkdirSync(OUT_DIR, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'vgcap-'));
  const only = process.argv.slice(2);
  try {
    setupTopology();
    for (const s of SCENARIOS) if (only.length === 0 || only.includes(s.name)) await runScenario(s, work);
  } finally {
    teardownTopology();
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await main();
}
