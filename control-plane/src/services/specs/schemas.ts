import { z } from 'zod';
import { ResourceName } from '../../../../schema/src/spec/primitives.ts';

export const PutSpecInput = z.strictObject({
  /** The cluster spec document (validated by the shared schema and the fleet rules). */
  spec: z.unknown(),
  /** Why this change was made; shown in the revision list and the audit log. */
  message: z.string().max(2000).optional(),
});
export type PutSpecInput = z.infer<typeof PutSpecInput>;

export const RollbackInput = z.strictObject({
  revision: z.number().int().positive(),
  message: z.string().max(2000).optional(),
});
export type RollbackInput = z.infer<typeof RollbackInput>;

/** A site document: the specs of many clusters of one site, applied as one change. */
export const PutSiteSpecsInput = z.strictObject({
  clusters: z.record(ResourceName, z.strictObject({
    spec: z.unknown(),
    message: z.string().max(2000).optional(),
    /** Refuse the whole document unless this is still the cluster's current revision (null: none yet). */
    ifRevision: z.number().int().positive().nullable().optional(),
  })).refine((c) => Object.keys(c).length >= 1 && Object.keys(c).length <= 1000, 'between 1 and 1000 clusters'),
  /** Why; used for every cluster without its own message. */
  message: z.string().max(2000).optional(),
});
export type PutSiteSpecsInput = z.infer<typeof PutSiteSpecsInput>;
