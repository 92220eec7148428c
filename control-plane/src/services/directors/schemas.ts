import { z } from 'zod';
import { ResourceName } from '../sites/schemas.ts';

export const CreateDirectorInput = z.strictObject({
  name: ResourceName,
  labels: z.record(z.string().max(63), z.string().max(255)).optional(),
});
export type CreateDirectorInput = z.infer<typeof CreateDirectorInput>;
