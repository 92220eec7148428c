/**
 * One director in a netns lab, running either Vigil (`vigil agent --keepalived FILE`) or real
 * keepalived from the same keepalived.conf, behind one interface so every interop case is
 * written once and run with the implementations swapped.
 *
 * keepalived runs in the foreground with its own pid files, so several run on one host. Its
 * VRRP work happens in a child process that the parent respawns; a "crash" (SIGKILL) kills both,
 * a graceful stop signals the parent, like systemd does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LabHost, NetnsLab } from './netns.ts';

export type Impl = 'vigil' | 'keepalived';
const VIGIL = fileURLToPath(new URL('../../agent/bin/vigil.mjs', import.meta.url));

export interface InstanceConf {
  name?: string;
  version?: 2 | 3;
  vrid?: number;
  priority: number;
  /** Seconds, fractional for v3. */
  advertInt?: number;
  vips: string[];
  authPass?: string;
  state?: 'MASTER' | 'BACKUP';
  nopreempt?: boolean;
  unicast?: { src: string; peers: string[] };
  interface?: string;
  trackScripts?: string[];
  trackInterfaces?: string[];
  notify?: string;
  notifyMaster?: string;
  notifyBackup?: string;
  /** virtual_routes lines. */
  routes?: string[];
  trackProcesses?: string[];
  /** Instance lines appended verbatim. */
  extra?: string[];
}

export interface DirectorConf {
  routerId: string;
  instances: InstanceConf[];
  scripts?: Record<string, { script: string; interval?: number; fall?: number; rise?: number; weight?: number }>;
  /** Members, or members plus the group's `notify` / `notify_master` scripts. */
  syncGroups?: Record<string, string[] | { members: string[]; notify?: string; notifyMaster?: string }>;
  processes?: Record<string, { process: string; weight?: number; quorum?: number }>;
  /** keepalived.conf lines appended verbatim (virtual_server blocks, ...). */
  raw?: string[];
  /** Extra `vigil agent` arguments (Vigil only), e.g. ['--lb-backend', 'nftables']. */
  agentArgs?: string[];
  /** Extra global_defs lines. */
  global?: string[];
}

/** keepalived.conf text for `c`: what both implementations read. */
export function keepalivedConf(c: DirectorConf): string {
  const out: string[] = ['global_defs {', `  router_id ${c.routerId}`, ...(c.global ?? []).map((l) => `  ${l}`), '}'];
  for (const [name, s] of Object.entries(c.scripts ?? {})) {
    out.push(`vrrp_script ${name} {`, `  script "${s.script}"`, `  interval ${s.interval ?? 1}`, `  fall ${s.fall ?? 1}`, `  rise ${s.rise ?? 1}`, ...(s.weight !== undefined ? [`  weight ${s.weight}`] : []), '}');
  }
  for (const [name, p] of Object.entries(c.processes ?? {})) {
    out.push(`vrrp_track_process ${name} {`, `  process ${p.process}`, ...(p.weight !== undefined ? [`  weight ${p.weight}`] : []), `  quorum ${p.quorum ?? 1}`, '}');
  }
  for (const [name, g] of Object.entries(c.syncGroups ?? {})) {
    const { members, notify, notifyMaster } = Array.isArray(g) ? { members: g, notify: undefined, notifyMaster: undefined } : g;
    out.push(`vrrp_sync_group ${name} {`, '  group {', ...members.map((m) => `    ${m}`), '  }');
    if (notify) out.push(`  notify ${notify}`);
    if (notifyMaster) out.push(`  notify_master ${notifyMaster}`);
    out.push('}');
  }
  c.instances.forEach((i, n) => {
    out.push(`vrrp_instance ${i.name ?? `VI_${n + 1}`} {`);
    out.push(`  state ${i.state ?? 'BACKUP'}`, `  interface ${i.interface ?? 'eth0'}`, `  virtual_router_id ${i.vrid ?? 51}`, `  priority ${i.priority}`, `  advert_int ${i.advertInt ?? 1}`);
    if (i.version) out.push(`  version ${i.version}`);
    if (i.nopreempt) out.push('  nopreempt');
    if (i.authPass) out.push('  authentication {', '    auth_type PASS', `    auth_pass ${i.authPass}`, '  }');
    if (i.unicast) out.push(`  unicast_src_ip ${i.unicast.src}`, '  unicast_peer {', ...i.unicast.peers.map((p) => `    ${p}`), '  }');
    if (i.trackScripts?.length) out.push('  track_script {', ...i.trackScripts.map((s) => `    ${s}`), '  }');
    if (i.trackProcesses?.length) out.push('  track_process {', ...i.trackProcesses.map((s) => `    ${s}`), '  }');
    if (i.trackInterfaces?.length) out.push('  track_interface {', ...i.trackInterfaces.map((s) => `    ${s}`), '  }');
    if (i.notify) out.push(`  notify "${i.notify}"`);
    if (i.notifyMaster) out.push(`  notify_master "${i.notifyMaster}"`);
    if (i.notifyBackup) out.push(`  notify_backup "${i.notifyBackup}"`);
    if (i.routes?.length) out.push('  virtual_routes {', ...i.routes.map((r) => `    ${r}`), '  }');
    for (const l of i.extra ?? []) out.push(`  ${l}`);
    out.push('  virtual_ipaddress {', ...i.vips.map((v) => `    ${v}`), '  }', '}');
  });
  out.push(...(c.raw ?? []));
  return `${out.join('\n')}\n`;
}

export class Director {
  readonly dir: string;
  readonly confPath: string;
  private child: ChildProcess | undefined;
  private output = '';
  private agentArgs: string[] = [];

  constructor(readonly lab: NetnsLab, readonly host: LabHost, readonly impl: Impl, conf: DirectorConf) {
    this.dir = mkdtempSync(join(tmpdir(), `vigil-dir-${impl}-`));
    this.confPath = join(this.dir, 'keepalived.conf');
    this.writeConf(conf);
  }

  writeConf(conf: DirectorConf): void {
    this.agentArgs = conf.agentArgs ?? [];
    writeFileSync(this.confPath, keepalivedConf(conf));
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  logs(): string {
    return this.output;
  }

  start(): void {
    const args = this.impl === 'vigil'
      ? ['netns', 'exec', this.host.ns, process.execPath, VIGIL, 'agent', '--keepalived', this.confPath, '--state-dir', join(this.dir, 'state'), ...this.agentArgs]
      : ['netns', 'exec', this.host.ns, 'keepalived', '-n', '-l', '-D', '--vrrp', '-f', this.confPath, '-p', join(this.dir, 'k.pid'), '-r', join(this.dir, 'v.pid')];
    this.output = '';
    const child = spawn('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
    this.child = child;
  }

  /** Pids to signal for a crash: Vigil's process, or keepalived's parent and VRRP child. */
  private crashPids(): number[] {
    const pids: number[] = [];
    // keepalived's VRRP child first: killed after its parent, it would get SIGTERM from
    // PR_SET_PDEATHSIG and leave gracefully (priority 0), which is no crash.
    const v = join(this.dir, 'v.pid');
    if (this.impl === 'keepalived' && existsSync(v)) pids.push(Number(readFileSync(v, 'utf8').trim()));
    if (this.child?.pid) pids.push(this.child.pid);
    return pids.filter((p) => p > 0);
  }

  /** SIGKILL, no goodbye: the peer must notice by its master-down timer. */
  async crash(): Promise<void> {
    const exited = this.exited();
    for (const pid of this.crashPids()) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
    await exited;
    // keepalived refuses to start while its pid files name a process that still exists, and
    // the killed VRRP child lingers as a zombie where PID 1 does not reap: clear them, as an
    // operator restarting a crashed keepalived would.
    for (const f of ['k.pid', 'v.pid']) rmSync(join(this.dir, f), { force: true });
  }

  signal(sig: NodeJS.Signals): void {
    if (this.child?.pid) process.kill(this.child.pid, sig);
  }

  /** SIGTERM and wait for the exit (graceful leave). */
  async stop(): Promise<number | null> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return this.child?.exitCode ?? null;
    const exited = this.exited();
    this.signal('SIGTERM');
    const t = setTimeout(() => void this.crash(), 10_000);
    const code = await exited;
    clearTimeout(t);
    return code;
  }

  private exited(): Promise<number | null> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return Promise.resolve(c?.exitCode ?? null);
    return new Promise((resolve) => c.once('exit', (code) => resolve(code)));
  }

  async holdsVip(vip: string): Promise<boolean> {
    const out = await this.lab.ip(this.host.ns, '-o', 'addr', 'show');
    const ip = vip.split('/')[0]!;
    return out.split('\n').some((l) => l.includes(` ${ip}/`));
  }

  /** Polls every 10 ms until the VIP is (or is not) on this host; returns ms waited. */
  async waitForVip(vip: string, present: boolean, timeoutMs: number): Promise<number> {
    const t0 = Date.now();
    for (;;) {
      if ((await this.holdsVip(vip)) === present) return Date.now() - t0;
      if (Date.now() - t0 > timeoutMs) throw new Error(`${this.impl} on ${this.host.ns}: VIP ${vip} still ${present ? 'absent' : 'present'} after ${timeoutMs} ms\n${this.output.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** `vigil status --json` (Vigil only). */
  async status(): Promise<{ instances: Array<{ name: string; state: string; priority: number; vipsHeld: boolean; counters: { advertsRx: number; advertsTx: number; drops: Record<string, number> }; tracked: Array<{ name: string; up: boolean }> }> }> {
    const r = await this.lab.exec(this.host.ns, process.execPath, [VIGIL, 'status', '--state-dir', join(this.dir, 'state'), '--json']);
    if (r.code !== 0) throw new Error(`vigil status failed: ${r.stderr}`);
    return JSON.parse(r.stdout);
  }

  /** Kills the director and removes every address it may have left (a crashed one leaves VIPs). */
  async destroy(): Promise<void> {
    await this.crash();
    rmSync(this.dir, { recursive: true, force: true });
    const own = new Set([this.host.ipv4, this.host.ipv6]);
    const out = await this.lab.ip(this.host.ns, '-o', 'addr', 'show', 'dev', this.host.ifname);
    for (const m of out.matchAll(/inet6? (\S+)\/(\d+)/g)) {
      if (own.has(m[1]!) || m[1]!.startsWith('fe80:')) continue;
      await this.lab.ip(this.host.ns, 'addr', 'del', `${m[1]}/${m[2]}`, 'dev', this.host.ifname).catch(() => {});
    }
  }
}
