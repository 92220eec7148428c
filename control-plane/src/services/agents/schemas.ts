import { z } from 'zod';
import { ResourceName } from '../sites/schemas.ts';

export const EnrollInput = z.strictObject({
  /** Cluster name (in the enrollment token's site). */
  cluster: ResourceName,
  /** Director name: the one the cluster spec's per-director overrides use. */
  director: ResourceName,
  labels: z.record(z.string().max(63), z.string().max(255)).optional(),
});
export type EnrollInput = z.infer<typeof EnrollInput>;

/** One event from an agent's outbox; `seq` is unique per director and increases. */
export const AgentEvent = z.strictObject({
  seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  kind: z.string().regex(/^[a-z][a-z0-9_.]{0,63}$/, 'a kind is lower-case words joined by "." or "_", e.g. vrrp.transition'),
  instance: z.string().min(1).max(128).optional(),
  agentTime: z.iso.datetime({ offset: true }),
  details: z.record(z.string(), z.unknown()).default({}),
});
export type AgentEvent = z.infer<typeof AgentEvent>;

export const ReportInput = z.strictObject({
  /** What `vigil status --json` shows (instances, real servers): stored as the director's state. */
  state: z.record(z.string(), z.unknown()).optional(),
  /** The revision the agent runs now. */
  appliedRevision: z.number().int().min(1).optional(),
  events: z.array(AgentEvent).max(1000).default([]),
});
export type ReportInput = z.infer<typeof ReportInput>;
