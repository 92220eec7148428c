/**
 * The audit log's hash chain. Each event's hash covers the previous hash and every stored
 * field, so editing, dropping or reordering a row (even with direct SQL, triggers disabled)
 * breaks verification from that row on.
 */
import { createHash, hash } from 'node:crypto';
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

/**
 * The canonical JSON an event's hash covers (needs no previous hash: computed before the chain
 * lock). Written in one template for the field types a row has (strings or null, a number or
 * null), which is most of its cost gone (the ingest and every checkpoint's walk build one per
 * event: a third of the control plane's time under sustained ingest); anything else goes the
 * member-by-member way. chain.test.ts checks both against the generic form.
 */
export function eventBody(f: ChainedFields): string {
  const { actor, kind, siteId, clusterId, directorId, instance, source, sourceSeq } = f;
  if (typeof actor !== 'string' || typeof kind !== 'string' || !textOrNull(siteId) || !textOrNull(clusterId) || !textOrNull(directorId)
    || !textOrNull(instance) || !textOrNull(source) || !(sourceSeq === null || typeof sourceSeq === 'number')) return eventBodyByMember(f);
  const skew = f.clockSkewMs ?? undefined;
  if (skew !== undefined && typeof skew !== 'number') return eventBodyByMember(f);
  const details = canonicalMember(f.details);
  return `{"actor":${JSON.stringify(actor)},"agentTime":${f.agentTime ? `"${agentIso.of(f.agentTime)}"` : 'null'}${skew === undefined ? '' : `,"clockSkewMs":${JSON.stringify(skew)}`
  },"clusterId":${text(clusterId)}${details === undefined ? '' : `,"details":${details}`},"directorId":${text(directorId)},"instance":${text(instance)
  },"kind":${JSON.stringify(kind)},"receivedAt":"${receivedIso.of(f.receivedAt)}","siteId":${text(siteId)},"source":${text(source)
  },"sourceSeq":${sourceSeq === null ? 'null' : JSON.stringify(sourceSeq)}}`;
}

const textOrNull = (v: unknown): v is string | null => v === null || typeof v === 'string';
const text = (v: string | null) => (v === null ? 'null' : JSON.stringify(v));

/**
 * A date's ISO form, the last one remembered: a batch's events share one receive time (and an
 * agent's batch mostly one agent time), and toISOString was a sixth of a body.
 */
class IsoMemo {
  private ms = NaN;
  private iso = '';
  of(d: Date): string {
    const ms = d.getTime();
    if (ms !== this.ms) {
      this.iso = d.toISOString(); // an invalid date throws here, as before
      this.ms = ms;
    }
    return this.iso;
  }
}
const agentIso = new IsoMemo();
const receivedIso = new IsoMemo();

/** eventBody for fields of any type: each member exactly as canonicalJson writes it, an undefined one left out. */
function eventBodyByMember(f: ChainedFields): string {
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

/** The link: sha256 of the previous hash, a newline, and the event's body (one-shot: no Hash object per event). */
export const chainHash = (prevHash: string, body: string): string => hash('sha256', `${prevHash}\n${body}`, 'hex');

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
