import { integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id } from './common.ts';
import { sites } from './sites.ts';

/** Roles, weakest first. A role includes every permission of the roles before it. */
export const apiRoles = ['viewer', 'operator', 'admin'] as const;
export type ApiRole = (typeof apiRoles)[number];

/**
 * API bearer tokens. Only the SHA-256 of the secret is stored; the secret is shown once at
 * creation. `siteId` set = the token only sees and changes that site.
 */
export const apiTokens = pgTable('api_tokens', {
  id: id(),
  name: text('name').notNull(),
  role: text('role').$type<ApiRole>().notNull(),
  siteId: uuid('site_id').references(() => sites.id, { onDelete: 'cascade' }),
  secretHash: text('secret_hash').notNull().unique(),
  expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }),
  revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
  lastUsedAt: timestamp('last_used_at', { withTimezone: true, mode: 'date' }),
  createdBy: text('created_by').notNull(),
  createdAt: createdAt(),
});

/** Single-purpose tokens an agent trades for its own credential when it enrolls into a site. */
export const enrollmentTokens = pgTable('enrollment_tokens', {
  id: id(),
  siteId: uuid('site_id').notNull().references(() => sites.id, { onDelete: 'cascade' }),
  /**
   * Set: the token enrolls only this director name (cluster/name), and may replace that
   * director's existing credential (a re-install). Unset: it enrolls only new names, so a
   * leaked site token cannot take over an existing director's identity.
   */
  clusterName: text('cluster_name'),
  directorName: text('director_name'),
  description: text('description').notNull().default(''),
  secretHash: text('secret_hash').notNull().unique(),
  maxUses: integer('max_uses').notNull(),
  uses: integer('uses').notNull().default(0),
  expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
  revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
  createdBy: text('created_by').notNull(),
  createdAt: createdAt(),
});
