/**
 * An agent's report: its state (what `vigil status` shows), the revision it runs, and a batch
 * of events from its outbox. Everything is parsed with the wire contract (schema/src/wire)
 * before a field is read. Each event is checked on its own: a kind outside the agents'
 * allow-list (an operator's kind such as `director.maintenance`), or a malformed one, is
 * refused, stored nowhere and named in the answer, and the rest of the batch is stored.
 *
 * Stored at least once and exactly once: (source, seq) is unique, so a batch re-sent after a
 * lost answer stores nothing twice. The whole report is one transaction of a bounded number of
 * statements (events/append.ts), and it only commits while the credential that sent it is still
 * the director's: a report on a connection whose director was re-enrolled, reset or deleted
 * stores nothing. `acked` is the highest seq the agent may drop from its outbox.
 */
import { and, eq, sql } from 'drizzle-orm';
import { directors } from '../../../../schema/src/tables/index.ts';
import { parseAgentEvent, ReportInput, type AgentEvent, type ReportAck } from '../../../../schema/src/wire/index.ts';
import { AppError, forbidden } from '../../errors.ts';
import { withTransaction, type ServiceContext } from '../context.ts';
import { appendEvents, type AppendEventInput } from '../events/append.ts';
import { detectSplitBrain } from './split-brain.ts';
import { notifyReplicas, revisionChanges } from './notify.ts';

export interface IngestResult extends ReportAck {
  refused: { seq: number; reason: string }[];
}

export async function ingestReport(ctx: ServiceContext, raw: unknown, onRefused?: (seq: number, kind: unknown, reason: string) => void): Promise<IngestResult> {
  const agent = ctx.actor;
  if (agent.type !== 'agent') throw forbidden('this route is for agents (credential vga_…)');
  const input = ReportInput.parse(raw);
  const refused: { seq: number; reason: string }[] = [];
  const accepted: AgentEvent[] = [];
  for (const e of input.events) {
    const r = parseAgentEvent(e);
    if (r.ok) accepted.push(r.event);
    else {
      refused.push({ seq: e.seq, reason: r.reason });
      onRefused?.(e.seq, e.kind, r.reason);
    }
  }
  accepted.sort((a, b) => a.seq - b.seq);
  const rows: AppendEventInput[] = accepted.map((e) => ({
    kind: e.kind,
    siteId: agent.siteId,
    clusterId: agent.clusterId,
    directorId: agent.directorId,
    instance: 'instance' in e ? e.instance : null,
    details: e.details as Record<string, unknown>,
    agentTime: new Date(e.agentTime),
    actor: `agent:${agent.name}`,
    source: `director:${agent.directorId}`,
    sourceSeq: e.seq,
  }));
  let revisionMoved = false;
  const { stored, duplicates } = await withTransaction(ctx, async (tx) => {
    // The credential check and the state update are one statement, in the same transaction as
    // the events: a credential that stopped being the director's commits nothing.
    const [before] = await tx.db
      .select({ rev: directors.appliedRevision })
      .from(directors)
      .where(and(eq(directors.id, agent.directorId), eq(directors.credentialHash, agent.credentialHash)))
      .for('update')
      .limit(1);
    if (!before) throw new AppError('UNAUTHORIZED', 'this agent credential is no longer valid (the director was re-enrolled, reset or deleted)');
    revisionMoved = input.appliedRevision !== undefined && before.rev !== input.appliedRevision;
    await tx.db
      .update(directors)
      .set({
        lastSeenAt: sql`now()`,
        ...(input.state ? { reportedState: input.state } : {}),
        ...(input.appliedRevision !== undefined ? { appliedRevision: input.appliedRevision } : {}),
      })
      .where(eq(directors.id, agent.directorId));
    const r = await appendEvents(tx, rows);
    // A master held back for its backups (rollout.ts) may go now: wake it, in every replica.
    if (revisionMoved) await notifyReplicas(tx.db, agent.clusterId);
    return { stored: r.stored.length, duplicates: r.duplicates };
  });
  if (revisionMoved) revisionChanges.notify(agent.clusterId);
  if (input.state) await detectSplitBrain(ctx, agent.siteId, agent.clusterId);
  const acked = input.events.reduce<number | null>((m, e) => (m === null || e.seq > m ? e.seq : m), null);
  return { acked, stored, duplicates, refused };
}
