/**
 * MISC_CHECK (keepalived check_misc.c): run `misc_path` (split into argv like keepalived, run
 * without a shell; a script without "#!" runs under /bin/sh as execvp does), in its own process
 * group, as `user` when given.
 *
 * - exit 0: up. Exit 1 (or any non-zero without misc_dynamic): down.
 * - misc_dynamic, exit 2..255: up, and the real server's weight becomes exit code - 2.
 * - killed by a signal: down.
 * - still running at misc_timeout (default: the caller's timeout, which keepalived takes from
 *   delay_loop): the whole process group gets SIGKILL and the check is down. keepalived sends
 *   SIGTERM first and SIGKILL 2 s later; a hard deadline here means the group goes at once.
 */
import { spawn } from 'node:child_process';
import type { MiscCheck } from '#schema';
import { splitCommand } from '../command-line.ts';
import { fail, ok, runProbe, type Probe } from '../probe.ts';
import { resolveRunAs } from '../run-as.ts';
import { errorText } from './connect.ts';

export const probeMisc: Probe<MiscCheck> = (checker, _target, opts) =>
  runProbe(opts, checker.miscTimeoutMs ?? opts.timeoutMs, async (scope) => {
    const argv = splitCommand(checker.miscPath);
    if (typeof argv === 'string') return fail(argv);
    const ids = checker.user ? await resolveRunAs(checker.user) : undefined;
    if (typeof ids === 'string') return fail(ids);
    if (scope.signal.aborted) return fail('aborted');

    scope.phase(`running ${argv[0]}`);
    return new Promise((resolve) => {
      const child = spawn(argv[0]!, argv.slice(1), {
        stdio: 'ignore',
        // Own process group (setsid), so the timeout reaches the script's children too.
        detached: true,
        ...(ids ? { uid: ids.uid, gid: ids.gid } : {}),
      });
      let exited = false;
      scope.defer(() => {
        if (exited || child.pid === undefined) return;
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
      });
      child.once('error', (err: Error & { code?: string }) => {
        exited = true;
        resolve(fail(errorText('exec', err)));
      });
      child.once('exit', (code, signal) => {
        exited = true;
        if (signal) return resolve(fail(`killed by ${signal}`));
        if (code === 0) return resolve(ok());
        if (checker.miscDynamic && code !== null && code >= 2 && code <= 255) return resolve({ ok: true, weight: code - 2 });
        resolve(fail(`exit ${code}`));
      });
    });
  });
