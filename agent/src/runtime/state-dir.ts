/**
 * Everything one agent writes lives in its state dir (design: several agents on one host in
 * different network namespaces): the pid file, the VIPs it holds (so a restart after a crash
 * removes what the dead process left configured), and the control socket `vigil status` uses.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { writeFileAtomic } from '../os/atomic-file.ts';
import { join } from 'node:path';
import type { AddressManager, AddressSpec } from '../os/ports.ts';

export class StateDir {
  constructor(readonly dir: string, private readonly warn: (m: string) => void = () => {}) {}

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
      vips = parseVipRecord(readFileSync(this.vipsFile, 'utf8'));
    } catch (e) {
      // Not what an agent wrote (a torn disk, a hand edit): say so, keep it for a look, and go on
      // with a fresh record; VIPs a crashed predecessor left cannot be known and stay.
      const aside = `${this.vipsFile}.corrupt`;
      try { renameSync(this.vipsFile, aside); } catch { /* recordVips below replaces it */ }
      this.warn(`VIP record ${this.vipsFile} is corrupt (${(e as Error).message}); moved to ${aside}. VIPs a crashed agent left cannot be removed automatically: check \`ip addr\` against it`);
      this.recordVips([]);
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

/** The VIP record as written by recordVips, checked field by field. */
function parseVipRecord(text: string): AddressSpec[] {
  const raw: unknown = JSON.parse(text);
  if (!Array.isArray(raw)) throw new Error('not a list');
  return raw.map((v: unknown, i) => {
    const o = v as Partial<AddressSpec> | null;
    if (!o || typeof o.ifname !== 'string' || typeof o.address !== 'string' || typeof o.prefixLength !== 'number') throw new Error(`entry ${i} is not {ifname, address, prefixLength}`);
    return { ifname: o.ifname, address: o.address, prefixLength: o.prefixLength };
  });
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
