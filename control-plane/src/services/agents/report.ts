/**
 * An agent's report: its state (what `vigil status` shows), the revision it runs, and a batch
 * of events from its outbox. Events are stored at least once and exactly once: (source, seq)
 * is unique, so a batch re-sent after a lost answer stores nothing twice. The answer tells the
 * agent the highest seq it may drop from its outbox.
 */
import { eq, sql } from 'drizzle-orm';
import { directors } from '../../../../schema/src/tables/index.ts';
import { forbidden } from '../../errors.ts';
import { withTransaction, type ServiceContext } from '../context.ts';
import { appendEvent } from '../events/append.ts';
import { detectSplitBrain } from './split-brain.ts';
import { notifyReplicas, revisionChanges } from './notify.ts';
import { ReportInput } from './schemas.ts';

export async function ingestReport(ctx: ServiceContext, raw: ReportInput) {
  const agent = ctx.actor;
  if (agent.type !== 'agent') throw forbidden('this route is for agents (credential vga_…)');
  const input = ReportInput.parse(raw);
  let stored = 0;
  let duplicates = 0;
  // One transaction for the batch (one turn of the chain's advisory lock, not one per event):
  // all of it is stored or none, and the agent's retry de-duplicates what was.
  const events = [...input.events].sort((a, b) => a.seq - b.seq);
  if (events.length) await withTransaction(ctx, async (tx) => {
    for (const e of events) {
      const row = await appendEvent(tx, {
        kind: e.kind,
        siteId: agent.siteId,
        clusterId: agent.clusterId,
        directorId: agent.directorId,
        instance: e.instance ?? null,
        details: e.details,
        agentTime: new Date(e.agentTime),
        actor: `agent:${agent.name}`,
        source: `director:${agent.directorId}`,
        sourceSeq: e.seq,
      });
      if (row.duplicate) duplicates++;
      else stored++;
    }
  });
  let revisionMoved = false;
  await withTransaction(ctx, async (tx) => {
    if (input.appliedRevision !== undefined) {
      const [before] = await tx.db.select({ rev: directors.appliedRevision }).from(directors).where(eq(directors.id, agent.directorId)).limit(1);
      revisionMoved = before?.rev !== input.appliedRevision;
    }
    await tx.db
      .update(directors)
      .set({
        lastSeenAt: sql`now()`,
        ...(input.state ? { reportedState: input.state } : {}),
        ...(input.appliedRevision !== undefined ? { appliedRevision: input.appliedRevision } : {}),
      })
      .where(eq(directors.id, agent.directorId));
    // A master held back for its backups (rollout.ts) may go now: wake it, in every replica.
    if (revisionMoved) await notifyReplicas(tx.db, agent.clusterId);
  });
  if (revisionMoved) revisionChanges.notify(agent.clusterId);
  if (input.state) await detectSplitBrain(ctx, agent.siteId, agent.clusterId);
  return { acked: events.at(-1)?.seq ?? null, stored, duplicates };
}
