/**
 * Database access for the control plane: one drizzle `Db` type over two drivers.
 *
 * - `postgres` (postgres.js) when a DATABASE_URL is given: the production path.
 * - PGlite (Postgres compiled to WASM) under `--data-dir` otherwise, so `vigil control-plane`
 *   runs with nothing installed. The same migrations run on both.
 */
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sql, type SQL } from 'drizzle-orm';
import { PgDialect, type PgDatabase, type PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import * as tables from '../../schema/src/tables/index.ts';
import { packageRoot } from './package-root.ts';
import { PGliteProxy } from './pglite/proxy.ts';

export type Schema = typeof tables;
/** A drizzle database or transaction; services accept either. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export const migrationsFolder = join(packageRoot(), 'schema', 'migrations');

export interface DbHandle {
  db: Db;
  driver: 'postgres' | 'pglite';
  /** Runs the committed migrations (idempotent). Uses a dedicated single connection on Postgres. */
  migrate(): Promise<void>;
  /** True when the database answers and every committed migration has been applied. */
  ready(): Promise<{ reachable: boolean; migrated: boolean }>;
  /** Statements run through `db` so far (drizzle's logger): lets tests prove idle costs nothing. */
  queries(): number;
  /** LISTEN on a channel (NOTIFY from any connection, hence any replica); returns an unlisten. */
  listen(channel: string, onPayload: (payload: string) => void, onListen?: () => void): Promise<() => Promise<void>>;
  /** A pool of its own for one hot path, which can be discarded whole (DbLane). */
  lane(maxConnections: number): DbLane;
  close(): Promise<void>;
}

/**
 * A small pool of its own for one path (the report committer), replaced whole when a statement
 * on it does not settle. postgres.js 3.4.9 can leave a transaction's promise pending forever
 * after a connection reset inside `begin()` (porsager/postgres#1186, #1215), and on a half-open
 * path no query ever times out: the soak saw every report wait for an ack for minutes after a
 * database stall ended in a reset, until the control plane restarted. Replacing the pool closes
 * its sockets, so Postgres rolls the open transaction back and releases the chain lock; the
 * server-side `idle_in_transaction_session_timeout` does the same if the close never arrives.
 */
export interface DbLane {
  readonly db: Db;
  /** A fresh pool from now on; the old one's connections are terminated. */
  replace(): void;
  close(): Promise<void>;
}

/**
 * Server-side bounds on every control-plane connection: a transaction whose client went quiet
 * (a driver that lost track of it, a path that black-holes) is ended by Postgres after this,
 * releasing whatever it held (the chain lock above all). None of ours idles mid-transaction.
 */
export const IDLE_IN_TRANSACTION_MS = 60_000;
/**
 * How often a running statement (a lock wait included) checks that its client is still there
 * (Postgres 14+): a statement whose connection was closed ends then, not when it would finish.
 */
export const CLIENT_CHECK_MS = 5_000;
/** The same on the ingest lane, whose transactions are a few statements issued back to back. */
export const LANE_IDLE_IN_TRANSACTION_MS = 15_000;

/** The main pool's size unless configured: connections are opened as queries need them, up to this. */
export const DEFAULT_MAX_CONNECTIONS = 20;
/** The report ingest's own pool (see {@link DbLane}; its group commits run one at a time). */
export const INGEST_LANE_CONNECTIONS = 2;

export type DbOptions =
  | { driver: 'postgres'; url: string; maxConnections?: number }
  | { driver: 'pglite'; dataDir?: string };

function expectedMigrationCount(): number {
  const journal = JSON.parse(readFileSync(`${migrationsFolder}/meta/_journal.json`, 'utf8')) as { entries: unknown[] };
  return journal.entries.length;
}

async function appliedMigrationCount(db: Db): Promise<number> {
  try {
    const rows = await db.execute<{ n: number }>(sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
    return Number((rows as unknown as { rows?: { n: number }[] }).rows?.[0]?.n ?? (rows as unknown as { n: number }[])[0]?.n ?? 0);
  } catch {
    return 0;
  }
}

class QueryCounter {
  n = 0;
  logQuery(): void {
    this.n++;
  }
}

/** Arbitrary but fixed keys of the migration lock ("vigi", "lmig" in ASCII). */
const MIGRATION_LOCK_KEY = [0x7669_6769, 0x6c6d_6967] as const;

/** Opens the database. Does not migrate; call `migrate()` (the CLI does on start). */
export async function openDb(options: DbOptions): Promise<DbHandle> {
  const expected = expectedMigrationCount();
  if (options.driver === 'postgres') {
    const url = options.url;
    const connect = (max: number, idleInTransactionMs: number) =>
      postgres(url, { max, onnotice: () => {}, connection: { idle_in_transaction_session_timeout: idleInTransactionMs, client_connection_check_interval: CLIENT_CHECK_MS } });
    const client = connect(options.maxConnections ?? DEFAULT_MAX_CONNECTIONS, IDLE_IN_TRANSACTION_MS);
    const counter = new QueryCounter();
    const db = drizzlePostgres(client, { schema: tables, logger: counter }) as unknown as Db;
    const lanes = new Set<postgres.Sql>();
    return {
      db,
      driver: 'postgres',
      queries: () => counter.n,
      async migrate() {
        // Migrations run over their own single connection (drizzle's postgres-js advice).
        const one = postgres(options.url, { max: 1, onnotice: () => {} });
        try {
          // One migrator at a time: replicas starting together on an empty database would both
          // create drizzle's bookkeeping and both run 0000 (the second fails on an existing
          // relation and the replica exits). A session lock on this one connection serialises
          // them; the second then finds everything applied.
          await one`select pg_advisory_lock(${MIGRATION_LOCK_KEY[0]}::int, ${MIGRATION_LOCK_KEY[1]}::int)`;
          await migratePostgres(drizzlePostgres(one), { migrationsFolder });
        } finally {
          await one.end();
        }
      },
      async ready() {
        try {
          await client`select 1`;
        } catch {
          return { reachable: false, migrated: false };
        }
        return { reachable: true, migrated: (await appliedMigrationCount(db)) >= expected };
      },
      async listen(channel, onPayload, onListen) {
        // postgres.js calls onlisten when LISTEN is established and again after every reconnect.
        const sub = await client.listen(channel, (payload) => onPayload(payload), onListen);
        return () => sub.unlisten();
      },
      lane(max) {
        const open = () => {
          const c = connect(max, LANE_IDLE_IN_TRANSACTION_MS);
          lanes.add(c);
          return { c, db: drizzlePostgres(c, { schema: tables, logger: counter }) as unknown as Db };
        };
        let cur = open();
        return {
          get db() {
            return cur.db;
          },
          replace() {
            const old = cur.c;
            cur = open();
            lanes.delete(old);
            // timeout 0: terminate at once (a pending statement would make a graceful end wait forever).
            old.end({ timeout: 0 }).catch(() => undefined);
          },
          async close() {
            lanes.delete(cur.c);
            await cur.c.end({ timeout: 5 });
          },
        };
      },
      async close() {
        await Promise.all([...lanes].map((c) => c.end({ timeout: 5 })));
        await client.end({ timeout: 5 });
      },
    };
  }
  if (options.dataDir) privateDataDir(options.dataDir);
  // PGlite runs on a worker thread (pglite/worker.ts): its statements are synchronous
  // WebAssembly and would otherwise stall the HTTP server for as long as each one runs.
  const client = new PGliteProxy(options.dataDir);
  await client.waitReady;
  // A fresh data dir is unpacked from PGlite's bundled image with that image's file modes.
  if (options.dataDir) privateDataDir(options.dataDir);
  const counter = new QueryCounter();
  const pdb = drizzlePglite(client as never, { schema: tables, logger: counter });
  const db = pdb as unknown as Db;
  return {
    db,
    driver: 'pglite',
    queries: () => counter.n,
    migrate: () => migratePglite(pdb, { migrationsFolder }),
    async ready() {
      try {
        await client.query('select 1');
      } catch {
        return { reachable: false, migrated: false };
      }
      return { reachable: true, migrated: (await appliedMigrationCount(db)) >= expected };
    },
    async listen(channel, onPayload) {
      return client.listen(channel, (payload) => onPayload(payload));
    },
    // One in-process database: nothing to lose track of a connection, so the lane is `db` itself.
    lane: () => ({ db, replace: () => {}, close: async () => {} }),
    close: () => client.close(),
  };
}

/**
 * The embedded database's directory holds every secret the control plane keeps (token hashes,
 * the audit log): 0700, and every file in it 0600 (also fixed up for a directory created by an
 * older version). New files get 0600 from the umask, which the process sets before opening it
 * (main.ts), since PGlite creates files with the default mode.
 */
export function privateDataDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const walk = (d: string) => {
    chmodSync(d, 0o700);
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile() && (st.mode & 0o077) !== 0) chmodSync(p, st.mode & 0o600);
    }
  };
  walk(dir);
}

const dialect = new PgDialect();

/**
 * `db.execute(query)` as a prepared statement: for the hot statements whose text never changes
 * (the group commit's, the chain append's). drizzle runs every unnamed statement with postgres.js
 * `prepare: false`, and postgres.js sends a statement with parameters in two round trips then
 * (Parse/Describe to learn the parameter types, and only then Bind/Execute); a prepared one is
 * described once per connection and then takes one. Under the chain lock a group commit made
 * nine round trips where six do (the duplicate lookup stays unprepared: append.ts), and each
 * loopback write costs a system call that wakes Postgres. Only for constant text (each distinct
 * text stays prepared on its connection), and only where a generic plan is as good as a custom
 * one: Postgres plans a prepared statement for its parameters five times, then may keep one plan.
 */
export function executePrepared(db: Db, query: SQL): Promise<unknown> {
  return db._.session.prepareQuery(dialect.sqlToQuery(query), undefined, 'vigil_hot', false).execute();
}

/** The rows of `db.execute(...)`: postgres-js returns them as the result, PGlite under `.rows`. */
export const rowsOf = <T>(r: unknown): T[] => ((r as { rows?: T[] }).rows ?? (r as T[]));
