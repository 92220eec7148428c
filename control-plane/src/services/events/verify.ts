/**
 * Verification of the audit log against its anchor.
 *
 * Incremental (the default, any viewer): the newest checkpoint's signature is checked, it must
 * not be older than the witness file kept outside the database (checkpoint rows deleted), its
 * row must still carry the signed hash (rows recomputed or truncated), and the chain after it
 * is recomputed up to the head: a bounded amount of work.
 *
 * Full (admins only, one at a time, at most once a minute per process): every row from the
 * genesis (or from the last row retention pruned) and every checkpoint's signature and row.
 */
import { asc, eq, gt } from 'drizzle-orm';
import { auditCheckpoints, events } from '../../../../schema/src/tables/index.ts';
import type { AuditSigner, Checkpoint } from '../../audit/signer.ts';
import { rateLimited } from '../../errors.ts';
import { requireRole, requireUnscoped, type ServiceContext } from '../context.ts';
import { eventHash, GENESIS_HASH } from './chain.ts';
import { latestCheckpoint, toCheckpoint, verifySegment } from './checkpoint.ts';
import { retentionStart } from './retention.ts';

export interface VerifyResult {
  ok: boolean;
  mode: 'incremental' | 'full';
  /** Rows recomputed by this call. */
  checked: number;
  lastHash: string;
  /** The checkpoint the verification is anchored to (null: none yet, or no key configured). */
  anchor: Checkpoint | null;
  /** Why ok is false. */
  problem?: string;
  /** The first row whose stored hash or link does not match, when that is the problem. */
  brokenAt?: { id: number; reason: 'prev_hash_mismatch' | 'hash_mismatch' | 'checkpoint_mismatch' | 'missing' };
}

/** One full verification at a time, at most once a minute (one per control-plane process). */
export class FullVerifyLimit {
  private running = false;
  private lastAt = 0;
  constructor(private readonly minIntervalMs = 60_000) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running || Date.now() - this.lastAt < this.minIntervalMs) throw rateLimited('a full verification ran less than a minute ago or is running: use the incremental one, or retry later', Math.ceil(this.minIntervalMs / 1000));
    this.running = true;
    try {
      return await fn();
    } finally {
      this.running = false;
      this.lastAt = Date.now();
    }
  }
}

export async function verifyEvents(ctx: ServiceContext, signer?: AuditSigner, opts: { full?: FullVerifyLimit } = {}): Promise<VerifyResult> {
  requireRole(ctx, opts.full ? 'admin' : 'viewer');
  requireUnscoped(ctx); // the chain spans every site
  if (opts.full) return opts.full.run(() => fullVerify(ctx, signer));
  const anchor = await latestCheckpoint(ctx);
  const fail = (problem: string, brokenAt?: VerifyResult['brokenAt'], checked = 0): VerifyResult => ({ ok: false, mode: 'incremental', checked, lastHash: anchor?.hash ?? GENESIS_HASH, anchor: anchor ?? null, problem, ...(brokenAt ? { brokenAt } : {}) });
  const witness = signer?.readWitness();
  if (signer) {
    if (anchor && !signer.verify(anchor)) return fail('the newest checkpoint is not signed by this control plane\'s audit key');
    if (witness && (!anchor || anchor.eventId < witness.eventId)) return fail(`checkpoints are missing from the database: the witness outside it holds one at event ${witness.eventId}${anchor ? `, the database's newest is at ${anchor.eventId}` : ', the database has none'}`);
    if (witness && anchor && anchor.eventId === witness.eventId && anchor.hash !== witness.hash) return fail('the newest checkpoint differs from the witness kept outside the database');
  }
  if (anchor) {
    const [row] = await ctx.db.select().from(events).where(eq(events.id, anchor.eventId)).limit(1);
    if (!row) return fail(`event ${anchor.eventId}, anchored by a signed checkpoint, is missing: the log was truncated`, { id: anchor.eventId, reason: 'missing' });
    if (row.hash !== anchor.hash) return fail(`event ${anchor.eventId} no longer has the hash its signed checkpoint holds: the chain was rewritten`, { id: anchor.eventId, reason: 'checkpoint_mismatch' });
    // The anchored row itself must still match its hash (rows before it were verified when
    // the checkpoint was signed; `full=true` re-checks them).
    if (eventHash(row.prevHash, row) !== row.hash) return fail(`event ${anchor.eventId} does not match its hash`, { id: anchor.eventId, reason: 'hash_mismatch' });
  }
  const seg = await verifySegment(ctx, anchor ? { eventId: anchor.eventId, hash: anchor.hash } : { eventId: 0, hash: GENESIS_HASH });
  if (!seg.ok) return fail('a row after the newest checkpoint does not match its hash or link', seg.brokenAt, seg.checked);
  return { ok: true, mode: 'incremental', checked: seg.checked, lastHash: seg.head.hash, anchor: anchor ?? null };
}

async function fullVerify(ctx: ServiceContext, signer?: AuditSigner): Promise<VerifyResult> {
  const checkpoints = (await ctx.db.select().from(auditCheckpoints).orderBy(asc(auditCheckpoints.id))).map(toCheckpoint);
  const newest = checkpoints.at(-1) ?? null;
  const fail = (problem: string, brokenAt?: VerifyResult['brokenAt'], checked = 0): VerifyResult => ({ ok: false, mode: 'full', checked, lastHash: GENESIS_HASH, anchor: newest, problem, ...(brokenAt ? { brokenAt } : {}) });
  if (signer) {
    const unsigned = checkpoints.find((c) => !signer.verify(c));
    if (unsigned) return fail(`the checkpoint at event ${unsigned.eventId} is not signed by this control plane's audit key`);
    const witness = signer.readWitness();
    if (witness && (!newest || newest.eventId < witness.eventId)) return fail(`checkpoints are missing from the database: the witness outside it holds one at event ${witness.eventId}`);
  }
  // After retention (retention.ts) the chain resumes from the last pruned row's recorded hash;
  // checkpoints of pruned rows have nothing left to check, the newer ones anchor what is kept.
  const start = await retentionStart(ctx);
  const byEvent = new Map(checkpoints.filter((c) => !start || c.eventId > start.eventId).map((c) => [c.eventId, c]));
  let prev = start?.hash ?? GENESIS_HASH;
  let after = start?.eventId ?? 0;
  let checked = 0;
  for (;;) {
    const batch = await ctx.db.select().from(events).where(gtId(after)).orderBy(asc(events.id)).limit(1000);
    if (batch.length === 0) break;
    for (const row of batch) {
      if (row.prevHash !== prev) return fail('a row does not link to the one before it', { id: row.id, reason: 'prev_hash_mismatch' }, checked);
      const h = eventHash(prev, row);
      if (h !== row.hash) return fail('a row does not match its hash', { id: row.id, reason: 'hash_mismatch' }, checked);
      const c = byEvent.get(row.id);
      if (c && c.hash !== row.hash) return fail(`event ${row.id} differs from its signed checkpoint`, { id: row.id, reason: 'checkpoint_mismatch' }, checked);
      byEvent.delete(row.id);
      prev = row.hash;
      after = row.id;
      checked++;
    }
    await new Promise<void>((r) => setImmediate(r));
  }
  const orphan = [...byEvent.keys()][0];
  if (orphan !== undefined) return fail(`event ${orphan}, anchored by a signed checkpoint, is missing: the log was truncated`, { id: orphan, reason: 'missing' }, checked);
  return { ok: true, mode: 'full', checked, lastHash: prev, anchor: newest };
}

const gtId = (id: number) => gt(events.id, id);
