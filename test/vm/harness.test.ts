/**
 * The VM harness itself (UML backend; qemu on a host whose CPU refuses UML 6.1, umlOrFallback):
 * exit status, separate stdout/stderr, --rw write-back, the throwaway overlay over the host's
 * files, env passing, a failed module load, the time limit.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runInVm, umlSuiteBackend } from '../support/vm.ts';

const { backend, ready } = await umlSuiteBackend('VM harness (UML)');

describe.skipIf(!ready)(`runInVm (UML${backend === 'qemu' ? '; here: qemu' : ''})`, () => {
  const rw = mkdtempSync(join(tmpdir(), 'vigil-vm-rw-'));
  const scratch = join(tmpdir(), `vigil-vm-scratch-${process.pid}`);
  afterAll(() => { rmSync(rw, { recursive: true, force: true }); rmSync(scratch, { force: true }); });

  it('runs the command in the guest kernel and brings back its status, output and --rw files', async () => {
    const script = `uname -r; echo "$VIGIL_X" >&2; echo kept > ${rw}/out; echo gone > ${scratch}; grep -c ip_vs /proc/modules; exit 7`;
    const r = await runInVm({ backend, modules: ['ip_vs'], rw: [rw], env: { VIGIL_X: 'from host' }, cmd: ['bash', '-c', script] });
    expect(r.code, r.console).toBe(7);
    const [release, ipvsLines] = r.stdout.trim().split('\n');
    expect(release).toMatch(/^\d+\.\d+\.\d+/);
    expect(release).not.toBe(readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim());
    expect(Number(ipvsLines)).toBeGreaterThan(0);
    expect(r.stderr.trim()).toBe('from host');
    expect(readFileSync(join(rw, 'out'), 'utf8')).toBe('kept\n');
    expect(existsSync(scratch)).toBe(false); // writes outside --rw land in the tmpfs overlay
  });

  it('a module that does not exist fails the run with 254 before the command', async () => {
    const r = await runInVm({ backend, modules: ['no_such_module_vigil'], cmd: ['bash', '-c', 'echo ran'] });
    expect(r.code).toBe(254);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/no_such_module_vigil/);
  });

  it('a guest that never reports (killed at the time limit) is 255, and leaves no VM process behind', async () => {
    const r = await runInVm({ backend, cmd: ['sleep', '60'], timeoutSec: backend === 'qemu' ? 10 : 3 });
    expect(r.code).toBe(255);
    expect(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })).not.toContain(`vigil-vm-io-`);
  });
});
