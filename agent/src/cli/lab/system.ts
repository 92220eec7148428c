/**
 * What the lab does to this machine, and nothing else: network namespaces named `<name>-*` with
 * veth links inside them (nothing in this machine's own namespace), long-running processes it
 * records by pid, and director roots (an overlay of this machine's root filesystem in a private
 * mount namespace, so install.sh writes /opt/vigil, /etc/vigil and /var/lib/vigil of each
 * director into the lab's directory, never into this machine's).
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HOSTS } from './topology.ts';

export interface Exec { code: number; stdout: string; stderr: string }

export function exec(cmd: string, args: string[], timeoutMs = 120_000, input?: string): Promise<Exec> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

export async function must(cmd: string, args: string[], timeoutMs?: number): Promise<string> {
  const r = await exec(cmd, args, timeoutMs);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

/** The repository (or installed package) root: where package.json names "vigil". */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      try {
        if ((JSON.parse(readFileSync(p, 'utf8')) as { name?: string }).name === 'vigil') return dir;
      } catch { /* keep looking */ }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the vigil package root');
    dir = up;
  }
}

export const nsName = (lab: string, host: string) => `${lab}-${host}`;

export async function namespaces(): Promise<string[]> {
  const r = await exec('ip', ['netns', 'list']);
  return r.stdout.split('\n').map((l) => l.split(' ')[0]!).filter(Boolean);
}

/** Builds the two segments and every host of topology.ts. */
export async function createNetwork(lab: string): Promise<void> {
  const sw = nsName(lab, 'sw');
  const all = [sw, ...HOSTS.map((h) => nsName(lab, h.host))];
  for (const ns of all) {
    await must('ip', ['netns', 'add', ns]);
    await must('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  }
  for (const br of ['br-out', 'br-in']) {
    // Snooping off: the bridge floods multicast like a plain switch (VRRP adverts reach everyone).
    await must('ip', ['-n', sw, 'link', 'add', br, 'type', 'bridge', 'mcast_snooping', '0']);
    await must('ip', ['-n', sw, 'link', 'set', br, 'up']);
  }
  for (const h of HOSTS) {
    const ns = nsName(lab, h.host);
    for (const l of h.links) {
      const port = `${h.host}-${l.ifname}`;
      await must('ip', ['-n', sw, 'link', 'add', port, 'type', 'veth', 'peer', 'name', l.ifname, 'netns', ns]);
      await must('ip', ['-n', sw, 'link', 'set', port, 'master', l.segment === 'out' ? 'br-out' : 'br-in', 'up']);
      await must('ip', ['-n', ns, 'addr', 'add', l.address, 'dev', l.ifname]);
      await must('ip', ['-n', ns, 'link', 'set', l.ifname, 'up']);
    }
    if (h.gateway) await must('ip', ['-n', ns, 'route', 'add', 'default', 'via', h.gateway]);
    // Directors forward between the segments (LVS-NAT).
    if (h.links.length > 1) await must('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
  }
}

/** Deletes every namespace of the lab that exists (their links go with them). */
export async function deleteNetwork(lab: string): Promise<string[]> {
  const mine = new Set([nsName(lab, 'sw'), ...HOSTS.map((h) => nsName(lab, h.host))]);
  const gone: string[] = [];
  for (const ns of await namespaces()) {
    if (!mine.has(ns)) continue;
    await exec('ip', ['netns', 'del', ns]);
    gone.push(ns);
  }
  return gone;
}

/** Starts a long-running process (in a namespace when `ns` is given), detached; returns its pid. */
export function startDaemon(ns: string | undefined, argv: string[], log: string, env: NodeJS.ProcessEnv = {}): number {
  mkdirSync(dirname(log), { recursive: true });
  const fd = openSync(log, 'a', 0o600);
  const [cmd, ...args] = ns ? ['ip', 'netns', 'exec', ns, ...argv] : argv;
  const child = spawn(cmd!, args, { detached: true, stdio: ['ignore', fd, fd], env: { ...process.env, ...env } });
  child.unref();
  return child.pid!;
}

export function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    return state !== undefined && state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
export async function stopPid(pid: number | undefined, graceMs = 5000): Promise<void> {
  if (!alive(pid)) return;
  try { process.kill(pid!, 'SIGTERM'); } catch { return; }
  const t0 = Date.now();
  while (alive(pid) && Date.now() - t0 < graceMs) await new Promise((r) => setTimeout(r, 50));
  if (alive(pid)) {
    try { process.kill(pid!, 'SIGKILL'); } catch { /* gone */ }
    while (alive(pid)) await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A director's root: this machine's root filesystem as the lower layer of an overlay whose upper
 * layer is `<dir>/upper`, in a private mount namespace inside the director's network namespace.
 * install.sh runs in it exactly as on a real director (root, node, curl, tar, no systemd).
 */
export class DirectorRoot {
  readonly upper: string;
  private readonly merged: string;
  private readonly work: string;

  constructor(readonly ns: string, dir: string) {
    this.upper = join(dir, 'upper');
    this.merged = join(dir, 'merged');
    this.work = join(dir, 'ovl-work');
    for (const d of [this.upper, this.merged, this.work]) mkdirSync(d, { recursive: true, mode: 0o700 });
  }

  agentPid(): number | undefined {
    const f = join(this.upper, 'var/lib/vigil/vigil.pid');
    if (!existsSync(f)) return undefined;
    const pid = Number(readFileSync(f, 'utf8').trim());
    return alive(pid) ? pid : undefined;
  }

  /** Runs `cmd` with sh in the root: inside the agent's mount namespace if it runs, else a fresh one. */
  run(cmd: string, timeoutMs = 300_000, input?: string): Promise<Exec> {
    const path = `${dirname(process.execPath)}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`;
    const pid = this.agentPid();
    const argv = pid
      ? ['nsenter', `--mount=/proc/${pid}/ns/mnt`, `--net=/var/run/netns/${this.ns}`, 'chroot', this.merged, 'env', `PATH=${path}`, 'sh', '-c', cmd]
      : ['ip', 'netns', 'exec', this.ns, 'unshare', '-m', '--propagation', 'private', 'sh', '-c',
        `set -e; mount -t overlay overlay -o lowerdir=/,upperdir=${this.upper},workdir=${this.work} ${this.merged}; mount -t proc proc ${this.merged}/proc; mount -t sysfs sysfs ${this.merged}/sys; mount --bind /dev ${this.merged}/dev; mount -t tmpfs tmpfs ${this.merged}/run; mount -t tmpfs tmpfs ${this.merged}/tmp; exec chroot ${this.merged} env PATH=${path} sh -c "$0"`, cmd];
    return exec(argv[0]!, argv.slice(1), timeoutMs, input);
  }

  /** Starts the installed agent (as the installer does where there is no systemd). */
  startAgent(): Promise<Exec> {
    return this.run('nohup /opt/vigil/bin/vigil agent --config /etc/vigil/agent.json --state-dir /var/lib/vigil >>/var/lib/vigil/agent.log 2>&1 </dev/null &');
  }

  log(lines = 30): string {
    const f = join(this.upper, 'var/lib/vigil/agent.log');
    return existsSync(f) ? readFileSync(f, 'utf8').split('\n').slice(-lines).join('\n') : '(no agent.log)';
  }
}
