import { z } from 'zod';
import { Labels } from '../../../../schema/src/spec/primitives.ts';
import { ResourceName } from '../sites/schemas.ts';

export const CreateDirectorInput = z.strictObject({
  name: ResourceName,
  labels: Labels.optional(),
});
export type CreateDirectorInput = z.infer<typeof CreateDirectorInput>;
