import { z } from 'zod';
import { Labels } from '../../../../schema/src/spec/primitives.ts';
import { ResourceName } from '../sites/schemas.ts';

export const EnrollInput = z.strictObject({
  /** Cluster name (in the enrollment token's site). */
  cluster: ResourceName,
  /** Director name: the one the cluster spec's per-director overrides use. */
  director: ResourceName,
  labels: Labels.optional(),
});
export type EnrollInput = z.infer<typeof EnrollInput>;

// Reports and events are the wire contract's (schema/src/wire), shared with the agent.
export { ReportInput } from '../../../../schema/src/wire/report.ts';
