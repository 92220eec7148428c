/**
 * An agent's report: its state (what `vigil status` shows), the revision it runs, and a batch
 * of events from its outbox. Everything is parsed with the wire contract (schema/src/wire)
 * before a field is read. Each event is checked on its own: a kind outside the agents'
 * allow-list (an operator's kind such as `director.maintenance`), or a malformed one, is
 * refused, stored nowhere and named in the answer, and the rest of the batch is stored.
 *
 * Stored at least once and exactly once: (source, seq) is unique, so a batch re-sent after a
 * lost answer stores nothing twice. The whole report is one transaction of a bounded number of
 * statements, committed together with whatever other reports are waiting (commit.ts: group
 * commit), and it only commits while the credential that sent it is still the director's: a
 * report on a connection whose director was re-enrolled, reset or deleted stores nothing.
 * `acked` is the highest seq the agent may drop from its outbox.
 */
import { parseAgentEvent, ReportInput, type AgentEvent, type ReportAck } from '../../../../schema/src/wire/index.ts';
import { AppError, forbidden } from '../../errors.ts';
import type { ServiceContext } from '../context.ts';
import type { AppendEventInput } from '../events/append.ts';
import { commitReports, type ReportCommitter, type ReportJob } from './commit.ts';
import { claimsMaster, leavesMaster, splitBrainCheck } from './split-brain.ts';
import { revisionChanges } from './notify.ts';
import { cpuSlices } from '../cpu-slices.ts';

export interface IngestResult extends ReportAck {
  refused: { seq: number; reason: string }[];
}

/**
 * A report parsed and checked, ready to store: what `storeReport` commits. Only what the commit
 * and the answer need: a report can wait in the commit queue behind a whole group, and a
 * thousand waiting reports that each kept their parsed frame too were megabytes of live young
 * objects for every scavenge to copy.
 */
export interface PreparedReport {
  job: ReportJob;
  /** The reported state (split-brain detection reads it after the commit). */
  state: ReportInput['state'];
  /** The highest seq in the report (the agent may drop up to it), null with no events. */
  acked: number | null;
  /** Whether one of the events is a transition away from MASTER (split-brain detection). */
  leaves: boolean;
  refused: { seq: number; reason: string }[];
}

/**
 * Parses a report's events (synchronous CPU, run in the process's slices: cpu-slices.ts) and
 * builds what is stored. `input` is already parsed with ReportInput (the WebSocket frame's
 * schema includes it; HTTP parses it in `ingestReport`).
 */
export function prepareReport(ctx: ServiceContext, input: ReportInput, onRefused?: (seq: number, kind: unknown, reason: string) => void): PreparedReport {
  const agent = ctx.actor;
  if (agent.type !== 'agent') throw forbidden('this route is for agents (credential vga_…)');
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
  const job: ReportJob = {
    directorId: agent.directorId,
    clusterId: agent.clusterId,
    credentialHash: agent.credentialHash,
    ...(input.state ? { state: input.state } : {}),
    ...(input.appliedRevision !== undefined ? { appliedRevision: input.appliedRevision } : {}),
    events: rows,
  };
  const acked = input.events.reduce<number | null>((m, e) => (m === null || e.seq > m ? e.seq : m), null);
  return { job, state: input.state, acked, leaves: rows.some(leavesMaster), refused };
}

/** Stores a prepared report (group commit when `committer` is given) and answers it. */
export async function storeReport(ctx: ServiceContext, prepared: PreparedReport, committer?: ReportCommitter): Promise<IngestResult> {
  const agent = ctx.actor;
  if (agent.type !== 'agent') throw forbidden('this route is for agents (credential vga_…)');
  const { job, state, acked, leaves, refused } = prepared;
  const r = committer ? await committer.submit(job) : await commitReports(ctx.db, [job]).then(([x]) => {
    if (x instanceof AppError) throw x;
    return x!;
  });
  const { stored, duplicates, conflicts, seqAbove, revisionMoved } = r;
  if (revisionMoved) revisionChanges.applied(agent.clusterId);
  // A MASTER claim may start a split brain; leaving MASTER may end one (logged as resolved).
  if (state && (claimsMaster(state) || leaves)) await splitBrainCheck(ctx, agent.siteId, agent.clusterId);
  return { acked, stored, duplicates, refused, conflicts, seqAbove };
}

/** A report from its raw body (HTTP): parsed in the process's CPU slices, then stored. */
export async function ingestReport(ctx: ServiceContext, raw: unknown, onRefused?: (seq: number, kind: unknown, reason: string) => void, committer?: ReportCommitter): Promise<IngestResult> {
  if (ctx.actor.type !== 'agent') throw forbidden('this route is for agents (credential vga_…)');
  const prepared = await cpuSlices.run(() => prepareReport(ctx, ReportInput.parse(raw), onRefused));
  return storeReport(ctx, prepared, committer);
}
