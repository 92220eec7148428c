/**
 * Runs a command inside a stock Debian kernel that has IPVS: User-Mode Linux (default, ~2 s a
 * run) or qemu under TCG emulation (~3 s plus 3.5x slower JS). The guest sees the host's / read-only
 * with a throwaway overlay, so the repo, node and node_modules are there at the same paths.
 * Scripts and recipe: infra/vm/, /work/shared/reference/real-kernel-tests.md.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export type VmBackend = 'uml' | 'qemu';

export interface VmRunOptions {
  backend?: VmBackend;
  /** Kernel modules to load before the command (modprobe -a). */
  modules?: string[];
  /** Command and arguments, run under bash in `cwd`. */
  cmd: string[];
  cwd?: string;
  /** Host directories the guest may write back to. */
  rw?: string[];
  env?: Record<string, string>;
  memMb?: number;
  timeoutSec?: number;
}

export interface VmRunResult {
  /** The command's exit status; 254 = a module failed to load; 255 = the guest never reported (no boot). */
  code: number;
  stdout: string;
  stderr: string;
  /** Kernel console (boot messages at loglevel 1, stage2's exit line). */
  console: string;
  wallMs: number;
}

const REPO = resolve(import.meta.dirname, '..', '..');
export const VM_SCRIPTS = join(REPO, 'infra', 'vm');

export async function runInVm(opts: VmRunOptions): Promise<VmRunResult> {
  const backend = opts.backend ?? 'uml';
  const io = mkdtempSync(join(tmpdir(), 'vigil-vm-io-'));
  const args = ['--io', io, '--cwd', opts.cwd ?? REPO];
  if (opts.modules?.length) args.push('--modules', opts.modules.join(','));
  for (const d of opts.rw ?? []) args.push('--rw', d);
  for (const [k, v] of Object.entries(opts.env ?? {})) args.push('--env', `${k}=${v}`);
  if (opts.memMb) args.push('--mem', String(opts.memMb));
  if (opts.timeoutSec) args.push('--timeout', String(opts.timeoutSec));
  args.push('--', ...opts.cmd);
  const script = join(VM_SCRIPTS, backend === 'uml' ? 'run-in-uml.sh' : 'run-in-qemu.sh');
  const started = performance.now();
  try {
    const { code, out } = await new Promise<{ code: number; out: string }>((res, rej) => {
      const child = spawn('bash', [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      child.stderr.on('data', (b: Buffer) => (out += b.toString()));
      child.on('error', rej);
      child.on('close', (c) => res({ code: c ?? 255, out }));
    });
    const read = (f: string) => (existsSync(join(io, f)) ? readFileSync(join(io, f), 'utf8') : '');
    return { code, stdout: read('stdout'), stderr: read('stderr'), console: read('console') + out, wallMs: Math.round(performance.now() - started) };
  } finally {
    rmSync(io, { recursive: true, force: true });
  }
}
