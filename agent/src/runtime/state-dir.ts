/**
 * Everything one agent writes lives in its state dir (design: several agents on one host in
 * different network namespaces): the pid file, the VIPs it holds (so a restart after a crash
 * removes what the dead process left configured), and the control socket `vigil status` uses.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { writeFileAtomic } from '../os/atomic-file.ts';
import { join } from 'node:path';
import type { AddressManager, AddressSpec } from '../os/ports.ts';

export class StateDir {
  constructor(readonly dir: string) {}

  get pidFile(): string { return join(this.dir, 'vigil.pid'); }
  get vipsFile(): string { return join(this.dir, 'vips.json'); }
  get socketPath(): string { return join(this.dir, 'vigil.sock'); }

  /** Creates the dir and takes the pid file; refuses when a live agent already owns the dir. */
  claim(): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    if (existsSync(this.pidFile)) {
      const pid = Number(readFileSync(this.pidFile, 'utf8').trim());
      if (pid > 0 && pid !== process.pid && alive(pid)) {
        throw new Error(`another vigil agent (pid ${pid}) uses state dir ${this.dir}; stop it or give --state-dir another directory`);
      }
    }
    writeFileSync(this.pidFile, `${process.pid}\n`);
  }

  recordVips(vips: AddressSpec[]): void {
    writeFileAtomic(this.vipsFile, JSON.stringify(vips));
  }

  /**
   * Removes the VIPs a previous (crashed) agent recorded (every VIP it could configure) that are
   * still on their interface; returns the ones it found and removed.
   */
  async cleanLeftovers(addresses: AddressManager): Promise<AddressSpec[]> {
    if (!existsSync(this.vipsFile)) return [];
    let vips: AddressSpec[] = [];
    try {
      vips = JSON.parse(readFileSync(this.vipsFile, 'utf8')) as AddressSpec[];
    } catch {
      return [];
    }
    const removed: AddressSpec[] = [];
    for (const v of vips) {
      const present = await addresses.list(v.ifname);
      if (!present.ok || !present.value.some((a) => a.address === v.address && a.prefixLength === v.prefixLength)) continue;
      const r = await addresses.remove(v);
      if (r.ok) removed.push(v);
    }
    this.recordVips([]);
    return removed;
  }

  release(): void {
    rmSync(this.pidFile, { force: true });
    rmSync(this.socketPath, { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A crashed agent can stay a zombie where PID 1 does not reap (containers, chroots): it
  // answers kill(0) but runs nothing, and must not block its successor.
  try {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return true;
  }
}
