/**
 * Tracked objects that are not links: vrrp_script (a child process every `interval`, with a
 * hard timeout, rise/fall as keepalived) and track_file (an integer in a file, re-read when the
 * file changes). Results go to `onChange`; the agent turns them into priorities.
 */
import { readFileSync, unwatchFile, watchFile, writeFileSync, existsSync } from 'node:fs';
import type { ResolvedDirectorConfig } from '../../../schema/src/spec/resolve.ts';
import type { Clock, TimerHandle } from '../os/ports.ts';
import type { HookRunner } from './hooks.ts';
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
  private readonly timers: TimerHandle[] = [];
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
  }

  status(name: string): TrackerStatus | undefined {
    const s = this.scripts.get(name);
    if (s) return { name: `script:${name}`, up: s.up };
    const v = this.files.get(name);
    if (v !== undefined) return { name: `file:${name}`, up: v === 0, value: v };
    return undefined;
  }

  start(): void {
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
    for (const t of this.timers) t.cancel();
    for (const p of this.watched) unwatchFile(p);
  }

  private used(field: 'trackScripts' | 'trackFiles'): Set<string> {
    const names = new Set<string>();
    for (const inst of Object.values(this.config.instances)) for (const t of inst[field]) names.add(t.name);
    return names;
  }

  private schedule(name: string, delayMs: number): void {
    if (this.stopped) return;
    this.timers.push(this.clock.setTimeout(() => void this.runScript(name), delayMs));
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

/** keepalived reads the file's integer; anything unreadable counts as 0... except a missing file, which is a failure. */
function readValue(path: string): number {
  try {
    const n = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isFinite(n) ? n : 0;
  } catch {
    return 1;
  }
}
