/**
 * An agent's report (POST /v1/agent/reports, or a `report` frame on the WebSocket): its state,
 * the revision it runs, and a batch of outbox events. The envelope is checked as a whole (a bad
 * envelope is a protocol error: 400 / an error frame); each event is then parsed on its own
 * (events.ts), so one event the control plane refuses does not sink the batch: it is named in
 * `refused`, stored nowhere, and acknowledged with the rest, so the outbox moves on.
 */
import { z } from 'zod';
import { Revision, Seq } from './bounded.ts';
import { ReportedStatus } from './status.ts';

export const MAX_EVENTS_PER_REPORT = 1000;

/** Each event needs a valid `seq` at least: that is what the acknowledgement counts in. */
const EventEnvelope = z.looseObject({ seq: Seq });

export const ReportInput = z.strictObject({
  state: ReportedStatus.optional(),
  appliedRevision: Revision.optional(),
  events: z.array(EventEnvelope).max(MAX_EVENTS_PER_REPORT).default([]),
});
export type ReportInput = z.infer<typeof ReportInput>;

export const ReportAck = z.object({
  /** The agent may drop every outbox event up to this seq (stored, duplicate or refused). */
  acked: z.number().int().nullable(),
  stored: z.number().int(),
  duplicates: z.number().int(),
  refused: z.array(z.object({ seq: Seq, reason: z.string() })).default([]),
  /**
   * Seqs already stored for this director with a different event (an agent whose state disk
   * refused writes, then restarted, handed them out again): stored nowhere; the agent gives
   * those events new seqs above `seqAbove` (the highest stored for it) and sends them again.
   */
  conflicts: z.array(Seq).max(MAX_EVENTS_PER_REPORT).default([]),
  seqAbove: Seq.nullable().default(null),
});
export type ReportAck = z.infer<typeof ReportAck>;
