import { z } from 'zod';

export const PutSpecInput = z.strictObject({
  /** The cluster spec document (validated by the shared schema and the fleet rules). */
  spec: z.unknown(),
  /** Why this change was made; shown in the revision list and the audit log. */
  message: z.string().max(2000).optional(),
  /**
   * Optimistic concurrency (`vigil apply --if-revision N`): store only if the cluster's current
   * revision is still N (0: no spec yet); otherwise 409 and nothing changes.
   */
  ifRevision: z.number().int().min(0).optional(),
});
export type PutSpecInput = z.infer<typeof PutSpecInput>;

export const RollbackInput = z.strictObject({
  revision: z.number().int().positive(),
  message: z.string().max(2000).optional(),
});
export type RollbackInput = z.infer<typeof RollbackInput>;
