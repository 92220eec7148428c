/**
 * Scripts and notify hooks as child processes: never on the advert path, always with a hard
 * timeout, and notify hooks strictly in order (keepalived runs them in transition order; a
 * slow hook delays the next hook, never the protocol).
 *
 * Commands are run like keepalived runs them: the configured string is the program and its
 * arguments (quoted words allowed), with the extra arguments appended.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { splitCommand } from '../checks/command-line.ts';

export interface HookResult {
  /** Exit code, or null when killed (timeout) or not started. */
  code: number | null;
  timedOut: boolean;
  error?: string;
}

export interface HookRunner {
  run(command: string, args: string[], options: { timeoutMs: number; user?: string }): Promise<HookResult>;
  /**
   * Whether `command` can run here: its program exists and is executable. Undefined when it
   * can, else what is wrong. Asked while a revision is prepared, so a revision naming a script
   * that is not there is refused before anything changes. Optional (a runner that cannot tell).
   */
  check?(command: string): string | undefined;
}

/** The program of a command line (keepalived's word splitting), found as exec would find it in `path` (PATH). */
export function checkCommand(command: string, path: string): string | undefined {
  const argv = splitCommand(command);
  if (typeof argv === 'string') return argv;
  const program = argv[0]!;
  const executable = (p: string) => {
    try {
      accessSync(p, constants.X_OK);
      return statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (program.includes('/')) return executable(program) ? undefined : `${program} is not an executable file`;
  return path.split(delimiter).some((dir) => dir && executable(join(dir, program))) ? undefined : `${program} is not found in PATH`;
}

/** Shell-quotes one argument for /bin/sh. */
const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;

/** Hooks as child processes; `path` is the PATH they are looked up in (the agent's own). */
export const processHookRunner = (path: string): HookRunner => ({
  check: (command) => checkCommand(command, path),
  run(command, args, { timeoutMs, user }) {
    return new Promise((resolve) => {
      // `exec` so the timeout's SIGKILL reaches the script itself, not only the shell.
      const line = `exec ${command}${args.map((a) => ` ${quote(a)}`).join('')}`;
      const argv = user ? ['runuser', '-u', user.split(':')[0]!, '--', '/bin/sh', '-c', line] : ['/bin/sh', '-c', line];
      const child = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore' });
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, timeoutMs);
      child.once('error', (err) => {
        clearTimeout(timer);
        resolve({ code: null, timedOut: false, error: err.message });
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        resolve({ code: timedOut ? null : code, timedOut });
      });
    });
  },
});

/** Runs hooks one after another in submission order. */
export class HookQueue {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly runner: HookRunner, private readonly onResult: (command: string, args: string[], r: HookResult) => void) {}

  push(command: string, args: string[], user?: string): void {
    this.tail = this.tail.then(async () => {
      const r = await this.runner.run(command, args, { timeoutMs: 60_000, ...(user ? { user } : {}) });
      this.onResult(command, args, r);
    });
  }

  /** Resolves when every queued hook has finished. */
  drain(): Promise<unknown> {
    return this.tail;
  }
}
