import { integer, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id } from './common.ts';
import { clusters } from './clusters.ts';

/**
 * Immutable revisions of a cluster spec. Every accepted write creates the next `number`;
 * a rollback re-applies an old spec as a new revision with `rollbackOf` set. Rows are never
 * updated (enforced by a trigger in the migrations).
 */
export const specRevisions = pgTable(
  'spec_revisions',
  {
    id: id(),
    clusterId: uuid('cluster_id').notNull().references(() => clusters.id, { onDelete: 'restrict' }),
    number: integer('number').notNull(),
    spec: jsonb('spec').$type<unknown>().notNull(),
    specHash: text('spec_hash').notNull(),
    message: text('message').notNull().default(''),
    rollbackOf: integer('rollback_of'),
    createdBy: text('created_by').notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('spec_revisions_cluster_number_uq').on(t.clusterId, t.number)],
);
