import { z } from 'zod';
import { ResourceName } from '../sites/schemas.ts';

export const CreateClusterInput = z.strictObject({
  name: ResourceName,
  /** The L2 segment the cluster's multicast VRRP runs on; VRIDs must be unique per segment. */
  segment: ResourceName.optional(),
  description: z.string().max(1000).optional(),
});
export type CreateClusterInput = z.infer<typeof CreateClusterInput>;

export const UpdateClusterInput = z.strictObject({
  segment: ResourceName.nullable().optional(),
  description: z.string().max(1000).optional(),
});
export type UpdateClusterInput = z.infer<typeof UpdateClusterInput>;
