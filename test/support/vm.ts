/**
 * Runs a command inside a stock Debian kernel that has IPVS: User-Mode Linux (default, ~2 s a
 * run) or qemu under TCG emulation (~3 s plus 3.5x slower JS). The guest sees the host's / read-only
 * with a throwaway overlay, so the repo, node and node_modules are there at the same paths.
 * Scripts and recipe: infra/vm/, /work/shared/reference/real-kernel-tests.md.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { requireCapabilities } from './capabilities.ts';

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
  /** qemu only: the Debian kernel meta-package to boot (default linux-image-amd64). */
  kernel?: string;
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
      const env = opts.kernel ? { ...process.env, VIGIL_VM_KERNEL: opts.kernel } : process.env;
      const child = spawn('bash', [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
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

/**
 * The backend for what is meant to run under User-Mode Linux: UML where it boots, qemu where
 * this host's CPU refuses it. Debian's UML 6.1 saves a guest process's FPU state in a fixed
 * 4 KiB xstate buffer; on x86 CPUs with AMX the host kernel's ptrace wants the whole ~11 KiB
 * xstate (PTRACE_SETREGSET refuses a shorter one), so the first process the guest runs dies in
 * put_fp_registers → fatal_sigsegv and the kernel panics ("Attempted to kill init"). Only that
 * panic falls back (to qemu: a real Debian kernel too); any other failure to boot is UML's own
 * and fails the suite as before. Probed once per test file (one ~2 s boot).
 */
let umlProbe: Promise<{ backend: VmBackend; why: string }> | undefined;
export function umlOrFallback(): Promise<{ backend: VmBackend; why: string }> {
  umlProbe ??= runInVm({ backend: 'uml', cmd: ['true'], timeoutSec: 60 }).then((r) => {
    if (r.code === 0) return { backend: 'uml' as const, why: 'UML boots here' };
    if (/fatal_sigsegv/.test(r.console) && /Attempted to kill init/.test(r.console)) {
      return { backend: 'qemu' as const, why: "this host's CPU refuses Debian's UML 6.1 (its first process dies in put_fp_registers: AMX-sized xstate), so qemu runs it" };
    }
    return { backend: 'uml' as const, why: `UML did not boot (exit ${r.code}); not the known host incompatibility, so UML it stays` };
  });
  return umlProbe;
}

/**
 * Where a UML suite runs and whether it can: it needs root and UML; on a host whose CPU refuses
 * UML (umlOrFallback) it runs under qemu and needs that too. `suite` names it in the report of
 * what is missing (a failure under CI=true, a skip otherwise: capabilities.ts).
 */
export async function umlSuiteBackend(suite: string): Promise<{ backend: VmBackend; why: string; ready: boolean }> {
  if (!requireCapabilities(suite, ['root', 'uml'])) return { backend: 'uml', why: 'not run', ready: false };
  const { backend, why } = await umlOrFallback();
  return { backend, why, ready: backend === 'qemu' ? requireCapabilities(`${suite}, in qemu (this host refuses UML)`, ['qemu']) : true };
}

/**
 * Bundles guest-side TypeScript into plain ESM for `node --test` inside the VM. tsx would work
 * too, but loading it costs ~10 s under UML (every exec and page-in goes through ptrace and
 * hostfs); a bundle starts in ~2 s. npm packages stay external and resolve from the repo's
 * node_modules (the bundles live under node_modules/.cache, which also keeps lint off them).
 */
export async function bundleForVm(entries: string[]): Promise<string[]> {
  const { build } = await import('esbuild');
  const outdir = join(REPO, 'node_modules', '.cache', 'vigil-vm');
  await build({
    entryPoints: entries.map((e) => resolve(REPO, e)), bundle: true, platform: 'node', format: 'esm', target: 'node20',
    outdir, packages: 'external', outExtension: { '.js': '.mjs' }, logLevel: 'error',
  });
  return entries.map((e) => join(outdir, basename(e).replace(/\.ts$/, '.mjs')));
}

/**
 * All `entries` in ONE bundle, so `node --test` starts one child instead of one per file (each
 * node start plus schema setup costs seconds under UML and more under TCG). Their root-level
 * hooks then share one root suite.
 */
export async function bundleOneForVm(name: string, entries: string[]): Promise<string> {
  const { build } = await import('esbuild');
  const outfile = join(REPO, 'node_modules', '.cache', 'vigil-vm', `${name}.mjs`);
  await build({
    stdin: { contents: entries.map((e) => `import ${JSON.stringify(resolve(REPO, e))};`).join('\n'), resolveDir: REPO, sourcefile: `${name}.ts`, loader: 'ts' },
    bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile, packages: 'external', logLevel: 'error',
  });
  return outfile;
}

export interface TapTest { name: string; ok: boolean; skipped: boolean; detail: string }

/**
 * Leaf tests from `node --test --test-reporter=tap` output ("Suite > test" names), with the
 * YAML diagnostics of failures. Suites (an ok line closing deeper-indented ones) are left out.
 */
export function parseTap(tap: string): TapTest[] {
  const out: TapTest[] = [];
  const stack: string[] = [];
  let lastIndent = -1;
  const lines = tap.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const sub = /^(\s*)# Subtest: (.*)$/.exec(line);
    if (sub) { stack[sub[1]!.length / 4] = sub[2]!; stack.length = sub[1]!.length / 4 + 1; continue; }
    const m = /^(\s*)(not ok|ok) \d+ - (.*?)(\s+# (SKIP|TODO).*)?$/.exec(line);
    if (!m) continue;
    const indent = m[1]!.length;
    const isSuite = lastIndent > indent;
    lastIndent = indent;
    if (isSuite) continue;
    let detail = '';
    if (lines[i + 1]?.trim() === '---') {
      const block: string[] = [];
      for (i += 2; i < lines.length && lines[i]!.trim() !== '...'; i++) block.push(lines[i]!.trim());
      detail = block.join('\n');
    }
    const path = [...stack.slice(0, indent / 4), m[3]!];
    out.push({ name: path.join(' > '), ok: m[2] === 'ok', skipped: m[5] !== undefined, detail });
  }
  return out;
}
