/**
 * What install.sh downloads: the agent bundled into one ES module (esbuild, every dependency
 * inside), the health worker next to it, the native addon, and a `bin/vigil` wrapper, as a
 * gzipped tarball. Built once per control-plane process from the sources it runs (off the event
 * loop: esbuild and tar are other processes), and published with its SHA-256 so the installer can
 * verify what it got. The tarball is reproducible (sorted names, fixed times and owners, gzip
 * without a timestamp): every replica built from the same sources serves the same bytes, so a
 * script from one replica verifies the bundle from another.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, copyFile, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from './package-root.ts';

const REPO = packageRoot();

export interface AgentBundle {
  tarball: Buffer;
  sha256: string;
}

const WRAPPER = `#!/bin/sh
# vigil (director install): the agent bundle run by the system's node.
here=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
# The agent runs for months on a director: a small, flat footprint matters more than peak speed
# (it is idle between adverts). --optimize-for-size: V8 grows the old generation by at most 1.3x
# (2 MB steps) between full collections, instead of up to 4x for a slow mutator, so garbage does
# not pile up for an hour before a mark-compact (measured in the soak: old space 13 -> 19 MB
# committed without it, 13 -> 15 with it). MALLOC_ARENA_MAX=2: glibc gives each thread that
# mallocs (V8's compiler and GC helpers, libuv's pool, the health worker) an arena of its own
# and keeps their freed pages; two arenas bound that. An operator's own setting wins.
if [ "$1" = agent ]; then flags=--optimize-for-size; else flags=; fi
export MALLOC_ARENA_MAX="\${MALLOC_ARENA_MAX:-2}"
VIGIL_NATIVE_ADDON="$here/lib/vigil_net.node" exec node $flags "$here/lib/vigil.mjs" "$@"
`;

const run = promisify(execFile);

let cached: Promise<AgentBundle> | undefined;

export function agentBundle(): Promise<AgentBundle> {
  cached ??= build().catch((err: unknown) => {
    cached = undefined;
    throw err;
  });
  return cached;
}

async function build(): Promise<AgentBundle> {
  const { build: esbuild } = await import('esbuild');
  const dir = await mkdtemp(join(tmpdir(), 'vigil-bundle-'));
  try {
    const root = join(dir, 'vigil');
    await mkdir(join(root, 'lib'), { recursive: true });
    await mkdir(join(root, 'bin'), { recursive: true });
    await esbuild({
      entryPoints: { vigil: join(REPO, 'agent/src/cli/director-main.ts'), 'worker-entry': join(REPO, 'agent/src/checks/worker-thread.ts') },
      outdir: join(root, 'lib'), outExtension: { '.js': '.mjs' },
      bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'error',
      // CommonJS dependencies call require(); give the ES module one.
      banner: { js: "import { createRequire as __vigilCreateRequire } from 'node:module'; const require = __vigilCreateRequire(import.meta.url);" },
      // `netlink` loads its own prebuilt addon relative to its package: it ships as a package.
      external: ['*.node', 'netlink', 'bufferutil', 'utf-8-validate'],
    });
    await copyFile(join(REPO, 'agent/native/build/vigil_net.node'), join(root, 'lib/vigil_net.node'));
    for (const [pkg, parts] of [['netlink', ['package.json', 'dist', 'prebuilds', 'LICENSE']], ['node-gyp-build', ['.']]] as const) {
      for (const part of parts) await cp(join(REPO, 'node_modules', pkg, part), join(root, 'lib/node_modules', pkg, part), { recursive: true });
    }
    await writeFile(join(root, 'bin/vigil'), WRAPPER);
    await chmod(join(root, 'bin/vigil'), 0o755);
    await writeFile(join(root, 'VERSION'), `${JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')).version}\n`);
    const tgz = join(dir, 'vigil-agent.tar.gz');
    await run('tar', ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '--use-compress-program=gzip -n', '-cf', tgz, '-C', dir, 'vigil']);
    const tarball = await readFile(tgz);
    return { tarball, sha256: createHash('sha256').update(tarball).digest('hex') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
