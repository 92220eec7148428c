import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { MiscCheck } from '#schema';
import { probeMisc } from './misc.ts';

const opts = { timeoutMs: 2000, signal: new AbortController().signal };
const target = { address: '127.0.0.1', port: 0 };
const dir = mkdtempSync(join(tmpdir(), 'vigil-misc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const misc = (miscPath: string, extra: Partial<MiscCheck> = {}): MiscCheck => ({ type: 'MISC_CHECK', miscPath, ...extra });
/** Running (a zombie waiting for a reaper that is not us counts as gone). */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

describe('MISC_CHECK', () => {
  it('exit 0 is up, 1 is down, other codes down without misc_dynamic', async () => {
    expect(await probeMisc(misc('/bin/true'), target, opts)).toEqual({ ok: true });
    expect(await probeMisc(misc('/bin/false'), target, opts)).toEqual({ ok: false, reason: 'exit 1' });
    expect(await probeMisc(misc(`/bin/sh -c 'exit 7'`), target, opts)).toEqual({ ok: false, reason: 'exit 7' });
  });

  it('misc_dynamic: exit 2..255 is up with weight code - 2; 1 is down; 0 keeps the weight', async () => {
    expect(await probeMisc(misc(`/bin/sh -c 'exit 12'`, { miscDynamic: true }), target, opts)).toEqual({ ok: true, weight: 10 });
    expect(await probeMisc(misc(`/bin/sh -c 'exit 2'`, { miscDynamic: true }), target, opts)).toEqual({ ok: true, weight: 0 });
    expect(await probeMisc(misc(`/bin/sh -c 'exit 255'`, { miscDynamic: true }), target, opts)).toEqual({ ok: true, weight: 253 });
    expect(await probeMisc(misc('/bin/false', { miscDynamic: true }), target, opts)).toEqual({ ok: false, reason: 'exit 1' });
    expect(await probeMisc(misc('/bin/true', { miscDynamic: true }), target, opts)).toEqual({ ok: true });
  });

  it('passes quoted arguments and finds programs on PATH; a script without #! runs under sh', async () => {
    const out = join(dir, 'args');
    expect(await probeMisc(misc(`sh -c 'printf "%s|" "$@" > ${out}' sh "a b" c\\ d`), target, opts)).toEqual({ ok: true });
    expect(readFileSync(out, 'utf8')).toBe('a b|c d|');
    const script = join(dir, 'noshebang');
    writeFileSync(script, 'exit 3\n');
    chmodSync(script, 0o755);
    expect(await probeMisc(misc(script), target, opts)).toEqual({ ok: false, reason: 'exit 3' });
  });

  it('fails on a missing program, a signal, and a bad command line', async () => {
    expect(await probeMisc(misc(join(dir, 'does-not-exist')), target, opts)).toEqual({ ok: false, reason: 'exec ENOENT' });
    expect(await probeMisc(misc(`/bin/sh -c 'kill -TERM $$'`), target, opts)).toEqual({ ok: false, reason: 'killed by SIGTERM' });
    expect(await probeMisc(misc(`/bin/sh -c 'exit 0`), target, opts)).toMatchObject({ ok: false, reason: expect.stringMatching(/missing the closing '/) });
  });

  it('misc_timeout kills the whole process group with SIGKILL', async () => {
    const pids = join(dir, 'pids');
    // The script starts a grandchild that ignores SIGTERM, records both pids, then hangs.
    const cmd = `/bin/sh -c 'trap "" TERM; sleep 30 & echo $$ $! > ${pids}; wait'`;
    const t0 = Date.now();
    expect(await probeMisc(misc(cmd, { miscTimeoutMs: 300 }), target, opts)).toEqual({ ok: false, reason: expect.stringMatching(/^timeout after 300 ms running \/bin\/sh/) });
    expect(Date.now() - t0).toBeLessThan(1500);
    const [shell, sleeper] = readFileSync(pids, 'utf8').trim().split(' ').map(Number) as [number, number];
    for (let i = 0; i < 50 && (alive(shell) || alive(sleeper)); i++) await new Promise((r) => setTimeout(r, 20));
    expect(alive(shell)).toBe(false);
    expect(alive(sleeper)).toBe(false);
  });

  it('without misc_timeout the caller\'s timeout applies', async () => {
    expect(await probeMisc(misc('sleep 5'), target, { ...opts, timeoutMs: 200 })).toMatchObject({ ok: false, reason: 'timeout after 200 ms running sleep' });
  });

  it('fails with a clear reason for an unknown user', async () => {
    expect(await probeMisc(misc('/bin/true', { user: 'no_such_user_vigil' }), target, opts)).toEqual({ ok: false, reason: 'user "no_such_user_vigil" not found' });
  });

  it.skipIf(process.getuid?.() !== 0)('runs as `user` (root only)', async () => {
    const uid = Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).trim());
    expect(await probeMisc(misc(`/bin/sh -c 'test "$(id -u)" = ${uid}'`, { user: 'nobody' }), target, opts)).toEqual({ ok: true });
    expect(await probeMisc(misc(`/bin/sh -c 'test "$(id -u)" = 0'`, { user: 'nobody' }), target, opts)).toEqual({ ok: false, reason: 'exit 1' });
  });
});
