/**
 * The addon's exec (execve): what `vigil control-plane` restarts itself with (agent/bin/vigil.cjs).
 * A real exec replaces the test's process, so the exec itself runs in a child node.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadNative } from './native.ts';

const ADDON = fileURLToPath(new URL('../../native/build/vigil_net.node', import.meta.url));

describe('native exec', () => {
  it('becomes the program asked for, as the same process, with stdout, stderr and the env given', () => {
    // The child prints its pid, then execs a shell that prints its own pid ($$), an env value and
    // a line on stderr: the same pid, and node's close-on-exec stdio undone.
    const script = `process.stdout.write(process.pid + '\\n'); require(${JSON.stringify(ADDON)}).exec('/bin/sh', ['/bin/sh', '-c', 'echo $$ "$GREETING"; echo oops >&2; exit 7'], ['GREETING=hello']);`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    const [nodePid, shell] = r.stdout.trim().split('\n');
    expect(shell).toBe(`${nodePid} hello`);
    expect(r.stderr).toBe('oops\n');
    expect(r.status).toBe(7);
  });

  it('a failed exec throws the errno and the process goes on; bad arguments are a type error', () => {
    const native = loadNative();
    expect(() => native.exec('/nonexistent/vigil', ['/nonexistent/vigil'], [])).toThrow(expect.objectContaining({ code: 'ENOENT', message: expect.stringMatching(/^execve: No such file/) }));
    for (const args of [[1, ['x'], []], ['/bin/true', [], []], ['/bin/true', ['x', 2], []], ['/bin/true', ['x'], 'A=1']] as unknown as [string, string[], string[]][]) {
      expect(() => native.exec(...args)).toThrow(expect.objectContaining({ code: 'ERR_VIGIL_NATIVE' }));
    }
    // Still here, stdio intact.
    expect(process.stdout.writable).toBe(true);
  });
});
