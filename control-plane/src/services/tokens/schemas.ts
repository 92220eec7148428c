import { z } from 'zod';
import { ResourceName } from '../../../../schema/src/spec/primitives.ts';
import { apiRoles } from '../../../../schema/src/tables/index.ts';

export const CreateTokenInput = z.strictObject({
  name: z.string().min(1).max(100),
  role: z.enum(apiRoles),
  /** Limit the token to one site (name or id). */
  site: z.string().min(1).max(100).optional(),
  /** Lifetime in seconds; omitted = no expiry. */
  expiresInSeconds: z.number().int().min(60).max(10 * 365 * 24 * 3600).optional(),
});
export type CreateTokenInput = z.infer<typeof CreateTokenInput>;

export const CreateEnrollmentTokenInput = z.strictObject({
  description: z.string().max(1000).optional(),
  /**
   * Mint the token for one director (cluster and director names): it enrolls only that name,
   * and may replace that director's existing credential (re-installing a box). Without it the
   * token enrolls only names not enrolled yet.
   */
  cluster: ResourceName.optional(),
  director: ResourceName.optional(),
  maxUses: z.number().int().min(1).max(10_000).default(1),
  expiresInSeconds: z.number().int().min(60).max(30 * 24 * 3600).default(24 * 3600),
});
export type CreateEnrollmentTokenInput = z.input<typeof CreateEnrollmentTokenInput>;
