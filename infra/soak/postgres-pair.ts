/**
 * The control plane's database as an operator would run it: a Postgres primary with a streaming
 * replica (synchronous, so a commit the control plane acknowledged to an agent survives a
 * failover), each in its own network namespace. Faults act on the real servers: kill -9 (crash
 * recovery on restart), and failover (the replica is promoted, the proxy in front of them is
 * pointed at it, and a new replica is built from it with pg_basebackup so the next failover has
 * somewhere to go). While a replica is being built the primary commits locally (as Patroni's
 * synchronous mode does when no standby is there); no failover is started until it streams.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, chmodSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pgBinDir } from '../../test/support/postgres-server.ts';
import { PG_HOSTS, PG_PORT } from './topology.ts';

type Node = 'pg1' | 'pg2';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function postgresIds(): { uid: number; gid: number } {
  return {
    uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
  };
}

export class PostgresPair {
  private readonly bin = pgBinDir();
  private readonly ids = postgresIds();
  private readonly procs = new Map<Node, ChildProcess>();
  private readonly logs = new Map<Node, string>();
  primary: Node = 'pg1';
  /** The replica streams (set once pg_stat_replication says so). */
  replicaReady = false;
  private rebuilding: Promise<void> | undefined;

  constructor(private readonly dir: string, private readonly nsOf: (n: Node) => string, private readonly log: (s: string) => void) {
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o777);
  }

  get replica(): Node {
    return this.primary === 'pg1' ? 'pg2' : 'pg1';
  }

  private dataDir(n: Node): string {
    return join(this.dir, n);
  }

  private asPostgres(cmd: string, args: string[], ns?: string): string {
    const argv = ns ? ['ip', 'netns', 'exec', ns, 'setpriv', `--reuid=${this.ids.uid}`, `--regid=${this.ids.gid}`, '--clear-groups', join(this.bin, cmd), ...args] : [join(this.bin, cmd), ...args];
    return execFileSync(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], cwd: this.dir, env: { ...process.env, HOME: this.dir }, ...(ns ? {} : this.ids), timeout: 120_000 }).toString();
  }

  /** psql against a node, as the postgres user, from inside its namespace. */
  sql(n: Node, query: string): string {
    return this.asPostgres('psql', ['-h', PG_HOSTS[n], '-p', String(PG_PORT), '-U', 'postgres', '-d', 'postgres', '-tAc', query], this.nsOf(n)).trim();
  }

  async init(): Promise<void> {
    const d = this.dataDir('pg1');
    this.asPostgres('initdb', ['-D', d, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
    appendFileSync(join(d, 'pg_hba.conf'), 'host all all 10.98.0.0/24 trust\nhost replication all 10.98.0.0/24 trust\n');
    appendFileSync(join(d, 'postgresql.conf'), [
      `listen_addresses = '${PG_HOSTS.pg1}'`, `port = ${PG_PORT}`, 'max_connections = 200', 'wal_level = replica', 'max_wal_senders = 5',
      'wal_keep_size = 256MB', 'hot_standby = on', 'fsync = off', 'full_page_writes = off', "synchronous_standby_names = ''",
      'synchronous_commit = on', 'wal_sender_timeout = 10s', 'wal_receiver_timeout = 10s',
      // Who waited on whom (the audit chain's advisory lock) for more than deadlock_timeout (1 s).
      'log_lock_waits = on', '',
    ].join('\n'));
    await this.start('pg1');
    await this.buildReplica('pg2');
  }

  /** Starts the postmaster of a node (crash recovery after a kill). */
  async start(n: Node): Promise<void> {
    const d = this.dataDir(n);
    const sock = join(this.dir, `sock-${n}`);
    mkdirSync(sock, { recursive: true });
    chmodSync(sock, 0o777);
    const p = spawn('ip', ['netns', 'exec', this.nsOf(n), 'setpriv', `--reuid=${this.ids.uid}`, `--regid=${this.ids.gid}`, '--clear-groups', join(this.bin, 'postgres'), '-D', d, '-c', `listen_addresses=${PG_HOSTS[n]}`, '-k', sock],
      { stdio: ['ignore', 'ignore', 'pipe'], cwd: this.dir, env: { ...process.env, HOME: this.dir } });
    this.logs.set(n, '');
    // The whole log also goes to the lab's work dir (VIGIL_SOAK_LOGS keeps it): a stall is
    // diagnosed from what Postgres said then, long after the 8 KB tail has moved on.
    const file = join(this.dir, '..', `postgres-${n}.log`);
    p.stderr!.on('data', (b: Buffer) => {
      this.logs.set(n, ((this.logs.get(n) ?? '') + b.toString()).slice(-8000));
      try { appendFileSync(file, b); } catch { /* the lab is being removed */ }
    });
    this.procs.set(n, p);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const log = this.logs.get(n) ?? '';
      if (log.includes('ready to accept connections') || log.includes('ready to accept read-only connections')) return;
      if (p.exitCode !== null) throw new Error(`postgres ${n} exited during start: ${log}`);
      if (Date.now() > deadline) throw new Error(`postgres ${n} did not start in 60 s: ${log}`);
      await sleep(100);
    }
  }

  pid(n: Node): number | undefined {
    const p = this.procs.get(n);
    return p && p.exitCode === null && p.signalCode === null ? p.pid : undefined;
  }

  /** kill -9 of the postmaster; its backends notice its death and exit (waited for: a new postmaster refuses a data dir whose old shared memory is in use). */
  async kill(n: Node): Promise<void> {
    const p = this.procs.get(n);
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const postmaster = this.postmasterPid(p.pid!);
    const children = postmaster ? childrenOf(postmaster) : [];
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill('SIGKILL');
    if (postmaster && postmaster !== p.pid) process.kill(postmaster, 'SIGKILL');
    await exited;
    for (let i = 0; i < 100 && children.some(alive); i++) await sleep(100);
    for (const c of children.filter(alive)) process.kill(c, 'SIGKILL');
  }

  /** `ip netns exec` execs setpriv, which execs postgres: one pid, but check. */
  private postmasterPid(pid: number): number | undefined {
    return alive(pid) ? pid : undefined;
  }

  /** Crash and restart the primary in place (crash recovery); the replica reconnects by itself. */
  async crashRestartPrimary(downMs: number): Promise<void> {
    await this.kill(this.primary);
    await sleep(downMs);
    await this.start(this.primary);
  }

  /**
   * Failover: the primary dies, the replica is promoted and becomes the primary (committing
   * locally until a new replica streams), then the old primary's data is discarded and a new
   * replica is built from the new primary. Returns once the promoted node accepts writes; the
   * rebuild goes on in the background (`replicaReady` says when it streams again).
   */
  async failover(): Promise<{ from: Node; to: Node }> {
    if (!this.replicaReady) throw new Error('no streaming replica to fail over to');
    const from = this.primary;
    const to = this.replica;
    await this.kill(from);
    this.replicaReady = false;
    this.asPostgres('pg_ctl', ['promote', '-w', '-D', this.dataDir(to)]);
    // No standby yet: commit locally rather than wait forever.
    this.sql(to, "ALTER SYSTEM SET synchronous_standby_names = ''");
    this.sql(to, 'SELECT pg_reload_conf()');
    for (let i = 0; i < 100 && this.sql(to, 'SELECT pg_is_in_recovery()') !== 'f'; i++) await sleep(100);
    this.primary = to;
    this.rebuilding = this.buildReplica(from).catch((e) => this.log(`replica rebuild of ${from} failed: ${(e as Error).message}`));
    return { from, to };
  }

  /** A fresh replica of the current primary in `n`'s data dir; synchronous once it streams. */
  private async buildReplica(n: Node): Promise<void> {
    const d = this.dataDir(n);
    rmSync(d, { recursive: true, force: true });
    this.asPostgres('pg_basebackup', ['-h', PG_HOSTS[this.primary], '-p', String(PG_PORT), '-U', 'postgres', '-D', d, '-R', '-X', 'stream', '-c', 'fast', '--no-sync'], this.nsOf(n));
    appendFileSync(join(d, 'postgresql.auto.conf'), `listen_addresses = '${PG_HOSTS[n]}'\nsynchronous_standby_names = ''\n`);
    await this.start(n);
    for (let i = 0; ; i++) {
      const s = this.sql(this.primary, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'");
      if (s === '1') break;
      if (i > 300) throw new Error(`replica ${n} does not stream after 30 s`);
      await sleep(100);
    }
    this.sql(this.primary, "ALTER SYSTEM SET synchronous_standby_names = '*'");
    this.sql(this.primary, 'SELECT pg_reload_conf()');
    for (let i = 0; i < 100 && this.sql(this.primary, "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'") !== '1'; i++) await sleep(100);
    this.replicaReady = true;
    this.log(`postgres: ${n} streams from ${this.primary} (synchronous)`);
  }

  async settled(): Promise<void> {
    await this.rebuilding;
  }

  logOf(n: Node): string {
    return this.logs.get(n) ?? '';
  }

  async stop(): Promise<void> {
    await this.rebuilding?.catch(() => undefined);
    for (const n of ['pg1', 'pg2'] as const) await this.kill(n);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    return state !== undefined && state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
