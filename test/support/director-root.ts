/**
 * A director's own root filesystem for install tests: a cached Debian root (debootstrap, under
 * /var/cache/vigil) mounted as an overlay in a private mount namespace inside a lab host's
 * network namespace, with the host's node binary added (what the README says a director needs).
 * What the director writes lands in `upper`, readable from the test.
 */
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { LabHost } from './netns.ts';

export const ROOTFS = '/var/cache/vigil/rootfs-bookworm';

/** The cached Debian root (built once per machine: well under a minute from Debian's mirror). */
export function ensureRootfs(): void {
  if (existsSync(join(ROOTFS, 'etc/debian_version'))) return;
  const tmp = `${ROOTFS}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync('/var/cache/vigil', { recursive: true });
  execFileSync('debootstrap', ['--variant=minbase', '--include=curl,ca-certificates,iproute2,libstdc++6,procps', 'bookworm', tmp, 'http://deb.debian.org/debian'], { stdio: 'ignore', timeout: 900_000 });
  renameSync(tmp, ROOTFS);
}

export interface DirectorRootOptions {
  /** Host directories bound into the root (`[hostPath, pathInRoot]`), e.g. a small filesystem for the state dir. */
  binds?: Array<[string, string]>;
  /** Environment the agent runs with (startAgent), e.g. LD_PRELOAD for a clock of its own. */
  agentEnv?: Record<string, string>;
}

export class DirectorRoot {
  readonly upper: string;
  readonly merged: string;
  private readonly work: string;

  constructor(readonly host: Pick<LabHost, 'ns'>, dir: string, private readonly options: DirectorRootOptions = {}) {
    this.upper = join(dir, 'upper');
    this.merged = join(dir, 'merged');
    this.work = join(dir, 'ovl-work');
    for (const d of [this.upper, this.merged, this.work, join(this.upper, 'usr/local/bin')]) mkdirSync(d, { recursive: true });
    copyFileSync(process.execPath, join(this.upper, 'usr/local/bin/node'));
  }

  /** The agent's pid (from its pid file), if it is alive. */
  agentPid(): number | undefined {
    const f = this.hostPath('var/lib/vigil/vigil.pid');
    if (!existsSync(f)) return undefined;
    const pid = Number(readFileSync(f, 'utf8').trim());
    // A killed agent can linger as a zombie (where PID 1 does not reap): alive to kill(0), but
    // without namespaces to enter. Only a running process counts.
    try {
      const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
      return state && state !== 'Z' && state !== 'X' ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Runs a shell command chrooted in the root, in the host's network namespace: inside the
   * running agent's mount namespace, or in a fresh one with the overlay mounted.
   */
  run(cmd: string, timeoutMs = 120_000): Promise<{ code: number | null; out: string }> {
    const pid = this.agentPid();
    const argv = pid
      ? ['nsenter', `--mount=/proc/${pid}/ns/mnt`, `--net=/var/run/netns/${this.host.ns}`, 'chroot', this.merged, 'sh', '-c', cmd]
      : ['ip', 'netns', 'exec', this.host.ns, 'unshare', '-m', '--propagation', 'private', 'sh', '-c',
        `set -e; mount -t overlay overlay -o lowerdir=${ROOTFS},upperdir=${this.upper},workdir=${this.work} ${this.merged}; mount -t proc proc ${this.merged}/proc; mount --bind /dev ${this.merged}/dev; mount -t tmpfs tmpfs ${this.merged}/run; mount -t tmpfs tmpfs ${this.merged}/tmp;${this.bindScript()} exec chroot ${this.merged} sh -c "$0"`, cmd];
    return new Promise((resolve) => {
      const p = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      p.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
      p.once('exit', (code) => {
        clearTimeout(t);
        resolve({ code, out });
      });
    });
  }

  private bindScript(): string {
    return (this.options.binds ?? []).map(([from, to]) => ` mkdir -p ${this.merged}${to}; mount --bind ${from} ${this.merged}${to};`).join('');
  }

  /** `export K=V; ` for the agent's environment (values are plain paths and words). */
  envPrefix(): string {
    return Object.entries(this.options.agentEnv ?? {}).map(([k, v]) => `export ${k}='${v}'; `).join('');
  }

  /** Starts the installed agent again (after a crash), as the installer does without systemd. */
  startAgent(): Promise<{ code: number | null; out: string }> {
    return this.run(`${this.envPrefix()}nohup /opt/vigil/bin/vigil agent --config /etc/vigil/agent.json --state-dir /var/lib/vigil >>/var/lib/vigil/agent.log 2>&1 </dev/null &`);
  }

  /** Kills the agent (SIGKILL by default: a crash). */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    const pid = this.agentPid();
    if (pid) process.kill(pid, signal);
  }

  /** Where a path of the root is on this host: under a bind, or in the overlay's upper dir. */
  hostPath(path: string): string {
    const p = `/${path.replace(/^\/+/, '')}`;
    for (const [from, to] of this.options.binds ?? []) {
      if (p === to || p.startsWith(`${to}/`)) return join(from, p.slice(to.length));
    }
    return join(this.upper, p);
  }

  readFile(path: string): string {
    return readFileSync(this.hostPath(path), 'utf8');
  }

  log(): string {
    const f = this.hostPath('var/lib/vigil/agent.log');
    return existsSync(f) ? readFileSync(f, 'utf8').slice(-3000) : '(no agent.log)';
  }
}
