/**
 * Tracked objects that are not links: vrrp_script (a child process every `interval`, with a
 * hard timeout, rise/fall as keepalived) and track_file (an integer in a file, re-read when the
 * file changes) and vrrp_track_process (processes counted against a quorum; keepalived listens
 * to the proc connector, Vigil scans /proc every PROCESS_SCAN_MS — the difference is how soon a
 * death is seen, at most that interval). Results go to `onChange`; the agent turns them into
 * priorities.
 *
 * Each object is known by its kind and name ("script:chk"). A reload (`update`) keeps every
 * object whose definition did not change, with its state (rise/fall streak, last value), and
 * starts over only the ones that changed: a reload must not make a failed check look healthy.
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

export type TrackerKind = 'script' | 'file' | 'process';

type VrrpScript = ResolvedDirectorConfig['vrrpScripts'][string];
type TrackFile = ResolvedDirectorConfig['trackFiles'][string];
type TrackProcess = ResolvedDirectorConfig['trackProcesses'][string];

type Entry =
  | { kind: 'script'; name: string; def: VrrpScript; json: string; state: ScriptState; timer?: TimerHandle; stopped: boolean }
  | { kind: 'file'; name: string; def: TrackFile; json: string; value: number; watching: boolean }
  | { kind: 'process'; name: string; def: TrackProcess; json: string; up: boolean };

const key = (kind: TrackerKind, name: string) => `${kind}:${name}`;

export class Trackers {
  private readonly entries = new Map<string, Entry>();
  private processTimer: TimerHandle | undefined;
  private scriptUser: string | undefined;
  private started = false;
  private stopped = false;

  constructor(
    private readonly hooks: HookRunner,
    private readonly clock: Clock,
    private readonly onChange: () => void,
    private readonly warn: (m: string) => void,
  ) {}

  /**
   * Runs exactly the objects `config`'s instances use: new ones start (a track_file's
   * init_file is written), changed ones start over, removed ones stop, the rest run on.
   * Returns the status names that started (over).
   */
  update(config: ResolvedDirectorConfig): string[] {
    this.scriptUser = config.global.scriptUser;
    const want = new Map<string, { kind: TrackerKind; name: string; def: unknown }>();
    for (const inst of Object.values(config.instances)) {
      for (const t of inst.trackScripts) if (Object.hasOwn(config.vrrpScripts, t.name)) want.set(key('script', t.name), { kind: 'script', name: t.name, def: config.vrrpScripts[t.name] });
      for (const t of inst.trackFiles) if (Object.hasOwn(config.trackFiles, t.name)) want.set(key('file', t.name), { kind: 'file', name: t.name, def: config.trackFiles[t.name] });
      for (const t of inst.trackProcesses) if (Object.hasOwn(config.trackProcesses, t.name)) want.set(key('process', t.name), { kind: 'process', name: t.name, def: config.trackProcesses[t.name] });
    }
    for (const [k, e] of this.entries) {
      if (want.get(k) && JSON.stringify(want.get(k)!.def) === e.json) continue;
      this.stopEntry(e);
      this.entries.delete(k);
    }
    const fresh: string[] = [];
    for (const [k, w] of want) {
      if (this.entries.has(k)) continue;
      const e = this.create(w.kind, w.name, w.def);
      this.entries.set(k, e);
      fresh.push(k);
      if (this.started) this.startEntry(e);
    }
    if (this.started) this.armProcessScan(0);
    return fresh;
  }

  status(kind: TrackerKind, name: string): TrackerStatus | undefined {
    const e = this.entries.get(key(kind, name));
    if (!e) return undefined;
    if (e.kind === 'process') return { name: `process:${name}`, up: e.up };
    if (e.kind === 'script') return { name: `script:${name}`, up: e.state.up };
    return { name: `file:${name}`, up: e.value === 0, value: e.value };
  }

  start(): void {
    this.started = true;
    for (const e of this.entries.values()) this.startEntry(e);
    this.armProcessScan(0);
  }

  stop(): void {
    this.stopped = true;
    this.processTimer?.cancel();
    for (const e of this.entries.values()) this.stopEntry(e);
  }

  private create(kind: TrackerKind, name: string, def: unknown): Entry {
    const json = JSON.stringify(def);
    if (kind === 'script') return { kind, name, def: def as VrrpScript, json, state: initialScriptState(), stopped: false };
    if (kind === 'file') {
      const f = def as TrackFile;
      if (f.initFile && (f.initFile.overwrite || !existsSync(f.file))) writeFileSync(f.file, `${f.initFile.value}\n`);
      return { kind, name, def: f, json, value: readValue(f.file), watching: false };
    }
    // Assumed up until the first scan (a few hundred ms after start), like keepalived before its
    // initial proc walk completes.
    return { kind, name, def: def as TrackProcess, json, up: true };
  }

  private startEntry(e: Entry): void {
    if (e.kind === 'script') this.schedule(e, 0);
    else if (e.kind === 'file' && !e.watching) {
      const path = e.def.file;
      e.watching = true;
      // fs.watchFile survives the file being replaced (editors, `echo > f`), unlike fs.watch.
      watchFile(path, { interval: 250 }, () => {
        const v = readValue(path);
        if (v !== e.value) {
          e.value = v;
          this.onChange();
        }
      });
    }
  }

  private stopEntry(e: Entry): void {
    if (e.kind === 'script') {
      e.stopped = true;
      e.timer?.cancel();
    } else if (e.kind === 'file' && e.watching) {
      // unwatchFile without a listener removes every listener of the path; only ours exist.
      unwatchFile(e.def.file);
      e.watching = false;
    }
  }

  private armProcessScan(delayMs: number): void {
    this.processTimer?.cancel();
    this.processTimer = undefined;
    if (this.stopped || ![...this.entries.values()].some((e) => e.kind === 'process')) return;
    this.processTimer = this.clock.setTimeout(() => void this.scanProcesses(), delayMs);
  }

  private async scanProcesses(): Promise<void> {
    if (this.stopped) return;
    const procs = await listProcesses();
    if (this.stopped) return;
    let changed = false;
    for (const e of this.entries.values()) {
      if (e.kind !== 'process') continue;
      const up = processQuorumUp(e.def, procs.filter((p) => processMatches(e.def, p)).length);
      if (up !== e.up) {
        e.up = up;
        changed = true;
      }
    }
    if (changed) this.onChange();
    this.armProcessScan(PROCESS_SCAN_MS);
  }

  private schedule(e: Extract<Entry, { kind: 'script' }>, delayMs: number): void {
    if (this.stopped || e.stopped) return;
    e.timer = this.clock.setTimeout(() => void this.runScript(e), delayMs);
  }

  private async runScript(e: Extract<Entry, { kind: 'script' }>): Promise<void> {
    const def = e.def;
    if (this.stopped || e.stopped) return;
    const user = def.user ?? this.scriptUser;
    const r = await this.hooks.run(def.script, [], { timeoutMs: def.timeoutMs ?? def.intervalMs, ...(user ? { user } : {}) });
    if (this.stopped || e.stopped) return;
    if (r.error) this.warn(`vrrp_script ${e.name}: ${r.error}`);
    const before = e.state;
    e.state = scriptResult(before, r.code === 0, def.rise, def.fall);
    if (e.state.up !== before.up) this.onChange();
    this.schedule(e, def.intervalMs);
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
