import { bigint, integer, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id } from './common.ts';
import { sites } from './sites.ts';

/**
 * A set of directors on one L2 segment (or unicast peers) sharing VRRP instances.
 * `segment` names the L2 segment for the fleet rule "same VRID twice on one segment of a site";
 * clusters that share a segment must not reuse VRIDs. `currentRevision` is the number of the
 * spec revision that is desired now (null until a spec is first applied). `adminVersion` is the
 * id of the audit event of the latest operator action on the cluster's directors (maintenance,
 * preferred master; 0: none): it joins the revision in the agents' ETag.
 */
export const clusters = pgTable(
  'clusters',
  {
    id: id(),
    siteId: uuid('site_id').notNull().references(() => sites.id, { onDelete: 'restrict' }),
    name: text('name').notNull(),
    segment: text('segment'),
    description: text('description').notNull().default(''),
    currentRevision: integer('current_revision'),
    adminVersion: bigint('admin_version', { mode: 'number' }).notNull().default(0),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('clusters_site_name_uq').on(t.siteId, t.name)],
);
