import { pgTable, text } from 'drizzle-orm/pg-core';
import { createdAt, id } from './common.ts';

/** A data centre or PoP. `name` is the stable, URL-safe handle used in the API (`/v1/sites/{site}`). */
export const sites = pgTable('sites', {
  id: id(),
  name: text('name').notNull().unique(),
  description: text('description').notNull().default(''),
  createdAt: createdAt(),
});
