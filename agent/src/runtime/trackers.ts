/**
 * Tracked objects that are not links: vrrp_script (a child process every `interval`, with a
 * hard timeout, rise/fall as keepalived) and track_file (an integer in a file, re-read when the
 * file changes) and vrrp_track_process (processes counted against a quorum; keepalived listens
 * to the proc connector, Vigil scans /proc every PROCESS_SCAN_MS — the difference is how soon a
 * death is seen, at most that interval). Results go to `onChange`; the agent turns them into
 * priorities.
 */
import { readFileSync, unwatchFile, watchFile, writeFileSync, existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import type { ResolvedDirectorConfig } from '../../../schema/src/spec/resolve.ts';
import type { Clock, TimerHandle } from '../os/ports.ts';
import type { HookRunner } from './hooks.ts';
import { processMatches, processQuorumUp, type ProcessInfo } from './process-match.ts';
import { initialScriptState, scriptResult, type ScriptState } from './script-state.ts';

export interface TrackerStatus {
  name: string;
  up: boolean;
  /** track_file: the integer read from the file. */
  value?: number;
}

export class Trackers {
  private readonly scripts = new Map<string, ScriptState>();
  private readonly files = new Map<string, number>();
  private readonly processes = new Map<string, boolean>();
  /** One pending timer per job (script name, or the process scan): re-arming replaces it. */
  private readonly timers = new Map<string, TimerHandle>();
  private readonly watched: string[] = [];
  private stopped = false;

  constructor(
    private readonly config: ResolvedDirectorConfig,
    private readonly hooks: HookRunner,
    private readonly clock: Clock,
    private readonly onChange: () => void,
    private readonly warn: (m: string) => void,
  ) {
    for (const name of this.used('trackScripts')) this.scripts.set(name, initialScriptState());
    for (const name of this.used('trackFiles')) {
      const f = config.trackFiles[name];
      if (!f) continue;
      if (f.initFile && (f.initFile.overwrite || !existsSync(f.file))) writeFileSync(f.file, `${f.initFile.value}\n`);
      this.files.set(name, readValue(f.file));
    }
    // Assumed up until the first scan (a few hundred ms after start), like keepalived before its
    // initial proc walk completes.
    for (const name of this.used('trackProcesses')) if (config.trackProcesses[name]) this.processes.set(name, true);
  }

  private async scanProcesses(): Promise<void> {
    if (this.stopped || this.processes.size === 0) return;
    const procs = await listProcesses();
    if (this.stopped) return;
    let changed = false;
    for (const name of this.processes.keys()) {
      const def = this.config.trackProcesses[name]!;
      const up = processQuorumUp(def, procs.filter((p) => processMatches(def, p)).length);
      if (up !== this.processes.get(name)) {
        this.processes.set(name, up);
        changed = true;
      }
    }
    if (changed) this.onChange();
    this.timers.set('\0processes', this.clock.setTimeout(() => void this.scanProcesses(), PROCESS_SCAN_MS));
  }

  status(name: string): TrackerStatus | undefined {
    const p = this.processes.get(name);
    if (p !== undefined) return { name: `process:${name}`, up: p };
    const s = this.scripts.get(name);
    if (s) return { name: `script:${name}`, up: s.up };
    const v = this.files.get(name);
    if (v !== undefined) return { name: `file:${name}`, up: v === 0, value: v };
    return undefined;
  }

  start(): void {
    this.timers.set('\0processes', this.clock.setTimeout(() => void this.scanProcesses(), 0));
    for (const name of this.scripts.keys()) this.schedule(name, 0);
    for (const name of this.files.keys()) {
      const path = this.config.trackFiles[name]!.file;
      // fs.watchFile survives the file being replaced (editors, `echo > f`), unlike fs.watch.
      watchFile(path, { interval: 250 }, () => {
        const v = readValue(path);
        if (v !== this.files.get(name)) {
          this.files.set(name, v);
          this.onChange();
        }
      });
      this.watched.push(path);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) t.cancel();
    for (const p of this.watched) unwatchFile(p);
  }

  private used(field: 'trackScripts' | 'trackFiles' | 'trackProcesses'): Set<string> {
    const names = new Set<string>();
    for (const inst of Object.values(this.config.instances)) for (const t of inst[field]) names.add(t.name);
    return names;
  }

  private schedule(name: string, delayMs: number): void {
    if (this.stopped) return;
    this.timers.set(name, this.clock.setTimeout(() => void this.runScript(name), delayMs));
  }

  private async runScript(name: string): Promise<void> {
    const def = this.config.vrrpScripts[name];
    if (!def || this.stopped) return;
    const r = await this.hooks.run(def.script, [], { timeoutMs: def.timeoutMs ?? def.intervalMs, ...(def.user ?? this.config.global.scriptUser ? { user: def.user ?? this.config.global.scriptUser } : {}) });
    if (this.stopped) return;
    if (r.error) this.warn(`vrrp_script ${name}: ${r.error}`);
    const before = this.scripts.get(name)!;
    const after = scriptResult(before, r.code === 0, def.rise, def.fall);
    this.scripts.set(name, after);
    if (after.up !== before.up) this.onChange();
    this.schedule(name, def.intervalMs);
  }
}

const PROCESS_SCAN_MS = 200;

/** Every process's comm and argv, read off the event loop (fs promises use the thread pool). */
async function listProcesses(): Promise<ProcessInfo[]> {
  const pids = (await readdir('/proc')).filter((p) => /^\d+$/.test(p));
  const all = await Promise.all(pids.map(async (pid): Promise<ProcessInfo | undefined> => {
    try {
      const [comm, cmdline] = await Promise.all([readFile(`/proc/${pid}/comm`, 'utf8'), readFile(`/proc/${pid}/cmdline`, 'utf8')]);
      return { comm: comm.trim(), argv: cmdline.split('\0').slice(0, -1) };
    } catch {
      return undefined; // exited while we looked
    }
  }));
  return all.filter((p): p is ProcessInfo => p !== undefined);
}

/** keepalived reads the file's integer; anything unreadable counts as 0... except a missing file, which is a failure. */
function readValue(path: string): number {
  try {
    const n = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isFinite(n) ? n : 0;
  } catch {
    return 1;
  }
}
