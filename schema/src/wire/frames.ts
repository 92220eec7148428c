/**
 * The agent WebSocket (`/v1/agent/ws`): one JSON object per text frame, parsed by these schemas
 * on both ends before any field is read. Agent → control plane: `report` (a report with an id).
 * Control plane → agent: `hello`, `nudge` (fetch your config now), `ack` / `error` (answering a
 * report id), and, for an agent that connected with `?push=config`, `config` (the config view
 * itself, as GET /v1/agent/config would answer: no fetch needed; its ETag is `"<version>"`).
 * A peer that keeps sending frames that fail to parse is closed with 1008 (policy).
 */
import { z } from 'zod';
import { text } from './bounded.ts';
import { AgentConfigView } from './config-view.ts';
import { ReportAck, ReportInput } from './report.ts';

export const FrameId = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const ReportFrame = ReportInput.extend({ type: z.literal('report'), id: FrameId });
export type ReportFrame = z.infer<typeof ReportFrame>;

export const AgentFrame = z.discriminatedUnion('type', [ReportFrame]);
export type AgentFrame = z.infer<typeof AgentFrame>;

export const HelloFrame = z.object({ type: z.literal('hello'), director: text(63) });
export const NudgeFrame = z.object({ type: z.literal('nudge') });
export const AckFrame = ReportAck.extend({ type: z.literal('ack'), id: FrameId });
export const ErrorFrame = z.object({
  type: z.literal('error'),
  id: FrameId.optional(),
  code: z.string().max(32).default('VALIDATION'),
  message: z.string().max(2000),
});

export const ConfigFrame = z.object({ type: z.literal('config'), view: AgentConfigView });

export const ServerFrame = z.discriminatedUnion('type', [HelloFrame, NudgeFrame, AckFrame, ErrorFrame, ConfigFrame]);
export type ServerFrame = z.infer<typeof ServerFrame>;

/** Close codes the control plane uses (RFC 6455 §7.4.1). */
export const WS_CLOSE = {
  /** Too many frames that failed to parse. */
  policy: 1008,
  /** The credential stopped being valid (revoked, re-enrolled, director deleted). */
  credential: 4001,
  /** The control plane is shutting down; reconnect (to another replica). */
  goingAway: 1001,
} as const;
