/**
 * GET /v1/agent/config: what one director should run. The ETag is `"<version>"`: `rev-N`, with
 * `.a-K` when an operator overlay (maintenance, preferred master) applies.
 */
import { z } from 'zod';
import { DirectorName, ObjectName } from '../spec/primitives.ts';
import { Instant, Revision } from './bounded.ts';
import { ResolvedDirectorConfigWire } from './resolved-config.ts';

export const ConfigVersion = z.string().regex(/^rev-\d{1,10}(\.a-\d{1,19})?$/, 'a config version looks like "rev-12" or "rev-12.a-40"');

export const AgentConfigView = z.strictObject({
  revision: Revision,
  version: ConfigVersion,
  director: DirectorName,
  maintenance: z.boolean(),
  preferred: z.array(ObjectName),
  /** Apply at this instant, together with the cluster's other directors. */
  applyAt: Instant.optional(),
  /** The newer revision this director is held back from, and whom it waits for. */
  held: z.strictObject({ revision: Revision, waitingFor: z.array(DirectorName) }).optional(),
  config: ResolvedDirectorConfigWire,
});
export type AgentConfigView = z.infer<typeof AgentConfigView>;
