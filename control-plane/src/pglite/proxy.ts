/**
 * The embedded database, seen from the main thread: a PGlite look-alike (the subset drizzle's
 * pglite driver and db.ts use: query, exec, transaction, listen, close) whose statements run on
 * a worker thread (worker.ts). The main thread only posts messages and copies results, so a
 * long statement on the embedded database no longer stops the HTTP server.
 */
import { Worker } from 'node:worker_threads';
import type { Reply, Request, WireError } from './protocol.ts';

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };
type Without<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export class DatabaseError extends Error {
  code?: string;
  detail?: string;
  constraint?: string;
  table?: string;
  severity?: string;
  constructor(e: WireError) {
    super(e.message);
    this.name = e.name && e.name !== 'Error' ? e.name : 'DatabaseError';
    Object.assign(this, { code: e.code, detail: e.detail, constraint: e.constraint, table: e.table, severity: e.severity });
  }
}

interface QueryOptions { rowMode?: 'array' | 'object'; parsers?: Record<number, unknown> }

/** Queries of one open transaction (what PGlite hands a `transaction` callback). */
class TxHandle {
  constructor(private readonly db: PGliteProxy, readonly id: number) {}
  query(sql: string, params: unknown[] = [], opts: QueryOptions = {}) {
    return this.db.query(sql, params, opts, this.id);
  }
  exec(sql: string) {
    return this.db.exec(sql, this.id);
  }
}

export class PGliteProxy {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<string, Set<(payload: string) => void>>();
  private dead: Error | undefined;
  readonly waitReady: Promise<void>;

  constructor(dataDir?: string) {
    this.worker = new Worker(new URL('./worker-entry.mjs', import.meta.url), { name: 'vigil-pglite' });
    this.worker.on('message', (r: Reply) => this.onReply(r));
    this.worker.on('error', (e) => this.fail(e));
    this.worker.on('exit', (code) => this.fail(new Error(`the embedded database thread exited (${code})`)));
    this.waitReady = this.call({ op: 'open', dataDir }).then(() => undefined);
  }

  private onReply(r: Reply) {
    if ('op' in r) {
      for (const fn of this.listeners.get(r.channel) ?? []) fn(r.payload);
      return;
    }
    const p = this.pending.get(r.id);
    if (!p) return;
    this.pending.delete(r.id);
    if (r.ok) p.resolve(r.result);
    else p.reject(new DatabaseError(r.error));
  }

  private fail(e: Error) {
    this.dead ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  private call(m: Without<Request, 'id'>): Promise<unknown> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...m, id } as Request);
    });
  }

  query<T = Record<string, unknown>>(sql: string, params: unknown[] = [], opts: QueryOptions = {}, tx?: number): Promise<{ rows: T[]; fields: { name: string; dataTypeID: number }[]; affectedRows?: number }> {
    const rawOids = opts.parsers ? Object.keys(opts.parsers).map(Number) : [];
    return this.call({ op: 'query', sql, params, rowMode: opts.rowMode, rawOids, tx }) as never;
  }

  exec(sql: string, tx?: number): Promise<{ rows: unknown[] }[]> {
    return this.call({ op: 'exec', sql, tx }) as never;
  }

  async transaction<T>(fn: (tx: TxHandle) => Promise<T>): Promise<T> {
    const id = (await this.call({ op: 'begin' })) as number;
    let result: T;
    try {
      result = await fn(new TxHandle(this, id));
    } catch (e) {
      await this.call({ op: 'end', tx: id, commit: false }).catch(() => undefined);
      throw e;
    }
    await this.call({ op: 'end', tx: id, commit: true });
    return result;
  }

  async listen(channel: string, fn: (payload: string) => void): Promise<() => Promise<void>> {
    const set = this.listeners.get(channel) ?? new Set();
    this.listeners.set(channel, set);
    set.add(fn);
    if (set.size === 1) await this.call({ op: 'listen', channel });
    return async () => {
      set.delete(fn);
      if (set.size === 0) {
        this.listeners.delete(channel);
        await this.call({ op: 'unlisten', channel }).catch(() => undefined);
      }
    };
  }

  async close(): Promise<void> {
    if (!this.dead) await this.call({ op: 'close' }).catch(() => undefined);
    this.dead ??= new Error('the embedded database is closed');
    await this.worker.terminate();
  }
}
