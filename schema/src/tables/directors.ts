import { bigint, boolean, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id } from './common.ts';
import { clusters } from './clusters.ts';

/**
 * One load balancer. Identity is (cluster, name); `name` is what per-director overrides in the
 * cluster spec refer to. The reported fields stay null until the agent reports.
 *
 * `maintenance` is desired state, written only by the operator route (PUT …/maintenance): the
 * director leaves every instance while it is set. Agents can never write it (they report facts
 * through events, which are an allow-list that excludes operator kinds).
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
    maintenance: boolean('maintenance').notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('directors_cluster_name_uq').on(t.clusterId, t.name)],
);

/**
 * Preferred master per instance (PUT /v1/clusters/{id}/instances/{i}/master): the named
 * director runs the instance at priority 254 until the operator clears it (row deleted).
 * Desired state, written only by that operator route; `eventId` is its audit event.
 */
export const instanceMasters = pgTable(
  'instance_masters',
  {
    clusterId: uuid('cluster_id').notNull().references(() => clusters.id, { onDelete: 'cascade' }),
    instance: text('instance').notNull(),
    directorId: uuid('director_id').notNull().references(() => directors.id, { onDelete: 'cascade' }),
    eventId: bigint('event_id', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.clusterId, t.instance] })],
);
