/**
 * The thread that owns the embedded database. It serves queries, transactions and LISTEN for
 * the main thread (proxy.ts). A transaction holds PGlite's single session from `begin` to
 * `end`; other statements wait for it inside PGlite, exactly as they would for the one
 * connection of a pool of size 1.
 */
import { parentPort } from 'node:worker_threads';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import type { Reply, Request, WireError } from './protocol.ts';

const port = parentPort!;
let pg: PGlite | undefined;
let nextTx = 1;
const txs = new Map<number, { tx: Transaction; end: (commit: boolean) => void; done: Promise<void> }>();
const unlisteners = new Map<string, () => Promise<void>>();
const ROLLBACK = Symbol('rollback');

const send = (r: Reply) => port.postMessage(r);

function wireError(e: unknown): WireError {
  const x = e as Record<string, unknown>;
  const pick = (k: string) => (typeof x?.[k] === 'string' ? (x[k] as string) : undefined);
  return { message: pick('message') ?? String(e), name: pick('name'), code: pick('code'), detail: pick('detail'), constraint: pick('constraint'), table: pick('table'), severity: pick('severity') };
}

/** drizzle passes identity parsers for date/time types (it parses them itself): same here. */
function parsersFor(oids: number[]): Record<number, (v: string) => string> | undefined {
  if (oids.length === 0) return undefined;
  return Object.fromEntries(oids.map((o) => [o, (v: string) => v]));
}

function target(tx: number | undefined) {
  if (tx === undefined) return pg!;
  const t = txs.get(tx);
  if (!t) throw new Error(`transaction ${tx} is not open`);
  return t.tx;
}

async function handle(m: Request): Promise<unknown> {
  switch (m.op) {
    case 'open':
      pg = m.dataDir ? new PGlite(m.dataDir) : new PGlite();
      await pg.waitReady;
      return undefined;
    case 'query': {
      const r = await target(m.tx).query(m.sql, m.params, { rowMode: m.rowMode, parsers: parsersFor(m.rawOids) });
      return { rows: r.rows, fields: r.fields, affectedRows: r.affectedRows };
    }
    case 'exec':
      return (await target(m.tx).exec(m.sql)).map((r) => ({ rows: r.rows, fields: r.fields, affectedRows: r.affectedRows }));
    case 'begin': {
      const id = nextTx++;
      return await new Promise<number>((resolveBegun, rejectBegun) => {
        let end!: (commit: boolean) => void;
        const decided = new Promise<boolean>((r) => { end = r; });
        const done = pg!.transaction(async (tx) => {
          txs.set(id, { tx, end, done });
          resolveBegun(id);
          if (!(await decided)) throw ROLLBACK;
        }).then(() => undefined, (e: unknown) => {
          if (e !== ROLLBACK) throw e;
        }).finally(() => txs.delete(id));
        done.catch(rejectBegun); // a failed BEGIN (never registered) rejects the begin itself
      });
    }
    case 'end': {
      const t = txs.get(m.tx);
      if (!t) throw new Error(`transaction ${m.tx} is not open`);
      t.end(m.commit);
      await t.done;
      return undefined;
    }
    case 'listen': {
      if (!unlisteners.has(m.channel)) unlisteners.set(m.channel, await pg!.listen(m.channel, (payload) => send({ op: 'notify', channel: m.channel, payload })));
      return undefined;
    }
    case 'unlisten': {
      await unlisteners.get(m.channel)?.();
      unlisteners.delete(m.channel);
      return undefined;
    }
    case 'close':
      await pg?.close();
      pg = undefined;
      return undefined;
  }
}

port.on('message', (m: Request) => {
  handle(m).then(
    (result) => send({ id: m.id, ok: true, result }),
    (e: unknown) => send({ id: m.id, ok: false, error: wireError(e) }),
  );
});
