/**
 * The audit log's hash chain. Each event's hash covers the previous hash and every stored
 * field, so editing, dropping or reordering a row (even with direct SQL, triggers disabled)
 * breaks verification from that row on.
 */
import { createHash } from 'node:crypto';
import { canonicalJson, canonicalMember } from './canonical.ts';

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

/**
 * The hash of one event: sha256 of the previous hash, a newline, and the canonical JSON of its
 * fields. The outer object's keys are fixed, so it is written in their sorted order directly
 * (every member exactly as canonicalJson writes it, an undefined one left out): the ingest
 * hashes ten thousand events a second, and sorting the same twelve keys each time was a
 * third of it. chain.test.ts checks this against the generic form on generated fields.
 */
export function eventHash(prevHash: string, f: ChainedFields): string {
  return chainHash(prevHash, eventBody(f));
}

/** The canonical JSON an event's hash covers (needs no previous hash: computed before the chain lock). */
export function eventBody(f: ChainedFields): string {
  // Fields are listed one by one: a stored row also carries id/prevHash/hash, which must not
  // feed into its own hash.
  let body = '{';
  const member = (key: string, v: unknown) => {
    const s = canonicalMember(v);
    if (s === undefined) return;
    body += `${body.length > 1 ? ',' : ''}"${key}":${s}`;
  };
  member('actor', f.actor);
  member('agentTime', f.agentTime ? f.agentTime.toISOString() : null);
  member('clockSkewMs', f.clockSkewMs ?? undefined);
  member('clusterId', f.clusterId);
  member('details', f.details);
  member('directorId', f.directorId);
  member('instance', f.instance);
  member('kind', f.kind);
  member('receivedAt', f.receivedAt.toISOString());
  member('siteId', f.siteId);
  member('source', f.source);
  member('sourceSeq', f.sourceSeq);
  return `${body}}`;
}

/** The link: sha256 of the previous hash, a newline, and the event's body. */
export const chainHash = (prevHash: string, body: string): string => createHash('sha256').update(`${prevHash}\n${body}`).digest('hex');

/** The hash as first defined: canonicalJson of the whole field object (chain.test.ts compares). */
export function eventHashGeneric(prevHash: string, f: ChainedFields): string {
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
