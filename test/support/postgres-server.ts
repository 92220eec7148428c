/**
 * A throwaway real PostgreSQL server for the test run and the benchmarks: initdb into a temp
 * dir, listen on 127.0.0.1 at a free port, trust auth. Postgres refuses to run as root, so as
 * root it runs as the `postgres` system user (created by Debian's package).
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PostgresServer {
  url: string;
  stop(): Promise<void>;
}

export function pgBinDir(): string {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql: install Debian\'s `postgresql` package or set DATABASE_URL');
  const versions = readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  if (!versions[0]) throw new Error('no initdb found under /usr/lib/postgresql/*/bin');
  return join(base, versions[0], 'bin');
}

/** A TCP port on 127.0.0.1 that nothing listens on now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

function postgresUser(): { uid: number; gid: number } {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    return { uid, gid };
  } catch {
    throw new Error('PostgreSQL refuses to run as root and there is no `postgres` user: install Debian\'s `postgresql` package or set DATABASE_URL');
  }
}

/**
 * `netns`: run the server inside that network namespace (its 127.0.0.1), for a control plane
 * running there; it is entered as root, then setpriv drops to the postgres user and execs the
 * postmaster (no process in between to swallow the shutdown signal).
 */
/**
 * `durable: true` keeps Postgres' defaults (fsync, synchronous commit, full page writes); the
 * default turns them off, which tests do not need and benchmarks must say when they use.
 */
export async function startPostgres(options: { netns?: string; durable?: boolean; settings?: Record<string, string> } = {}): Promise<PostgresServer> {
  const bin = pgBinDir();
  // Spawned with the postgres user's uid/gid directly (not through runuser, which would sit in
  // between and swallow the SIGINT that asks the postmaster for a fast shutdown).
  const owner = process.getuid?.() === 0 ? postgresUser() : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'vigil-pg-'));
  chmodSync(dir, 0o777);
  const dataDir = join(dir, 'data');
  const asOwner = { ...owner, cwd: dir, env: { ...process.env, HOME: dir } };
  execFileSync(join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8'], { stdio: 'ignore', ...asOwner });
  const port = await freePort();
  const pgArgs = [
    '-D', dataDir, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1',
    ...(options.durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']), '-c', 'max_connections=300',
    ...Object.entries(options.settings ?? {}).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
  ];
  const child = options.netns && owner
    ? spawn('ip', ['netns', 'exec', options.netns, 'setpriv', `--reuid=${owner.uid}`, `--regid=${owner.gid}`, '--clear-groups', join(bin, 'postgres'), ...pgArgs], { stdio: ['ignore', 'ignore', 'pipe'], cwd: dir, env: { ...process.env, HOME: dir } })
    : spawn(join(bin, 'postgres'), pgArgs, { stdio: ['ignore', 'ignore', 'pipe'], ...asOwner });
  let stderr = '';
  // Only the start-up output is kept (to tell why a start failed); the server's later log is not.
  const onStderr = (d: Buffer) => { stderr += d.toString(); if (stderr.length > 65_536) child.stderr.off('data', onStderr).resume(); };
  child.stderr.on('data', onStderr);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`postgres exited during start: ${stderr}`);
    if (stderr.includes('ready to accept connections')) break;
    if (Date.now() > deadline) throw new Error(`postgres did not start in 20 s: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGINT'); // fast shutdown
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
