import { bigint, bigserial, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * The append-only audit log. The database rejects UPDATE, DELETE and TRUNCATE (trigger in the
 * migrations), so not even a buggy service can rewrite history. Each row's `hash` is
 * SHA-256(prevHash + canonical row), chaining every row to the one before it; appends are
 * serialised with an advisory lock so the chain order equals the `id` order.
 *
 * `(source, sourceSeq)` de-duplicates at-least-once delivery from agents: an agent's outbox
 * sequence number is unique per director (checked under the chain lock, events/append.ts).
 *
 * Partitioned by day of `receivedAt` (migration 0003): retention drops whole days
 * (events/retention.ts), and the primary key carries the partition key as Postgres requires.
 */
export const events = pgTable(
  'events',
  {
    id: bigserial('id', { mode: 'number' }).notNull(),
    siteId: uuid('site_id'),
    clusterId: uuid('cluster_id'),
    directorId: uuid('director_id'),
    instance: text('instance'),
    kind: text('kind').notNull(),
    actor: text('actor').notNull(),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
    agentTime: timestamp('agent_time', { withTimezone: true, mode: 'date' }),
    /**
     * agentTime - receivedAt in ms, for agent events: the agent's clock is its claim, kept
     * beside the receive time; a positive value means the agent's clock runs ahead.
     */
    clockSkewMs: integer('clock_skew_ms'),
    receivedAt: timestamp('received_at', { withTimezone: true, mode: 'date' }).notNull(),
    source: text('source'),
    sourceSeq: bigint('source_seq', { mode: 'number' }),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
  },
  (t) => [
    primaryKey({ name: 'events_pkey', columns: [t.id, t.receivedAt] }),
    index('events_source_seq_idx').on(t.source, t.sourceSeq),
    index('events_site_idx').on(t.siteId, t.id),
    index('events_cluster_idx').on(t.clusterId, t.id),
    index('events_kind_idx').on(t.kind, t.id),
    index('events_received_idx').on(t.receivedAt),
  ],
);

/**
 * Signed checkpoints of the audit chain's head: Ed25519 over (eventId, hash, createdAt), with a
 * key held outside the database (a 0600 key file or an environment secret). Each is also
 * written to the control plane's log and the newest to a file beside the key, so truncating
 * the log or recomputing the whole chain (even with direct database access) is detected by
 * verification against the latest checkpoint. Append-only like the events.
 */
export const auditCheckpoints = pgTable('audit_checkpoints', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  eventId: bigint('event_id', { mode: 'number' }).notNull(),
  hash: text('hash').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
  keyId: text('key_id').notNull(),
  signature: text('signature').notNull(),
});

/**
 * What retention pruned (events/retention.ts): one row per dropped partition, with the last
 * pruned row's id and hash, where the full verification resumes. Append-only.
 */
export const auditRetention = pgTable('audit_retention', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  partition: text('partition').notNull(),
  rangeFrom: timestamp('range_from', { withTimezone: true, mode: 'date' }).notNull(),
  rangeTo: timestamp('range_to', { withTimezone: true, mode: 'date' }).notNull(),
  rows: bigint('rows', { mode: 'number' }).notNull(),
  lastEventId: bigint('last_event_id', { mode: 'number' }).notNull(),
  lastHash: text('last_hash').notNull(),
  prunedAt: timestamp('pruned_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  retentionDays: integer('retention_days').notNull(),
});
