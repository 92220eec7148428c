/**
 * The audit log's hash chain. Each event's hash covers the previous hash and every stored
 * field, so editing, dropping or reordering a row (even with direct SQL, triggers disabled)
 * breaks verification from that row on.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical.ts';

export const GENESIS_HASH = '0'.repeat(64);

export interface ChainedFields {
  siteId: string | null;
  clusterId: string | null;
  directorId: string | null;
  instance: string | null;
  kind: string;
  actor: string;
  details: Record<string, unknown>;
  agentTime: Date | null;
  receivedAt: Date;
  source: string | null;
  sourceSeq: number | null;
  /** Only set on agent events; left out of the hash when null, so older rows keep theirs. */
  clockSkewMs?: number | null;
}

export function eventHash(prevHash: string, f: ChainedFields): string {
  // Fields are listed one by one: a stored row also carries id/prevHash/hash, which must not
  // feed into its own hash.
  const body = canonicalJson({
    siteId: f.siteId,
    clusterId: f.clusterId,
    directorId: f.directorId,
    instance: f.instance,
    kind: f.kind,
    actor: f.actor,
    details: f.details,
    agentTime: f.agentTime ? f.agentTime.toISOString() : null,
    receivedAt: f.receivedAt.toISOString(),
    source: f.source,
    sourceSeq: f.sourceSeq,
    clockSkewMs: f.clockSkewMs ?? undefined,
  });
  return createHash('sha256').update(prevHash).update('\n').update(body).digest('hex');
}
