import { integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id } from './common.ts';
import { clusters } from './clusters.ts';

/**
 * One load balancer. Identity is (cluster, name); `name` is what per-director overrides in the
 * cluster spec refer to. The reported fields stay null until the agent reports.
 */
export const directors = pgTable(
  'directors',
  {
    id: id(),
    clusterId: uuid('cluster_id').notNull().references(() => clusters.id, { onDelete: 'restrict' }),
    name: text('name').notNull(),
    labels: jsonb('labels').$type<Record<string, string>>().notNull().default({}),
    credentialHash: text('credential_hash'),
    appliedRevision: integer('applied_revision'),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true, mode: 'date' }),
    reportedState: jsonb('reported_state').$type<unknown>(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('directors_cluster_name_uq').on(t.clusterId, t.name)],
);
