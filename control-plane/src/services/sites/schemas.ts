import { z } from 'zod';

import { ResourceName } from '../../../../schema/src/spec/primitives.ts';

export { ResourceName };

export const CreateSiteInput = z.strictObject({
  name: ResourceName,
  description: z.string().max(1000).optional(),
});
export type CreateSiteInput = z.infer<typeof CreateSiteInput>;
