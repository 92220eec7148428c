import { z } from 'zod';

/** DNS-label-like handles: they appear in URLs, CLI flags and file names. */
export const ResourceName = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, 'use lowercase letters, digits and inner hyphens (like a DNS label)');

export const CreateSiteInput = z.strictObject({
  name: ResourceName,
  description: z.string().max(1000).optional(),
});
export type CreateSiteInput = z.infer<typeof CreateSiteInput>;
