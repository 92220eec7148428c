-- The audit log grows by millions of rows a day at fleet scale: it becomes a table partitioned
-- by day of received_at, so retention drops whole partitions (no DELETE, which the append-only
-- trigger refuses anyway) and every index stays the size of one day. The primary key carries
-- the partition key, as Postgres requires; ids stay unique because they come from one sequence
-- and appends are serialised by the chain lock, which is also what de-duplicates
-- (source, source_seq), so that index is no longer unique (a unique index would have to carry
-- received_at too, and would then prove nothing).
-- The append-only guard names the log, not the day's partition it fired on.
CREATE OR REPLACE FUNCTION vigil_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  t text;
BEGIN
  SELECT p.relname INTO t FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent WHERE i.inhrelid = TG_RELID;
  RAISE EXCEPTION 'table % is append-only: % is not allowed', coalesce(t, TG_TABLE_NAME), TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;--> statement-breakpoint
ALTER TABLE "events" RENAME TO "events_unpartitioned";--> statement-breakpoint
ALTER INDEX "events_pkey" RENAME TO "events_unpartitioned_pkey";--> statement-breakpoint
DROP INDEX "events_source_seq_uq";--> statement-breakpoint
DROP INDEX "events_site_idx";--> statement-breakpoint
DROP INDEX "events_cluster_idx";--> statement-breakpoint
DROP INDEX "events_kind_idx";--> statement-breakpoint
DROP INDEX "events_received_idx";--> statement-breakpoint
CREATE TABLE "events" (
	"id" bigint DEFAULT nextval('events_id_seq'::regclass) NOT NULL,
	"site_id" uuid,
	"cluster_id" uuid,
	"director_id" uuid,
	"instance" text,
	"kind" text NOT NULL,
	"actor" text NOT NULL,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"agent_time" timestamp with time zone,
	"received_at" timestamp with time zone NOT NULL,
	"source" text,
	"source_seq" bigint,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL,
	"clock_skew_ms" integer,
	CONSTRAINT "events_pkey" PRIMARY KEY ("id", "received_at")
) PARTITION BY RANGE ("received_at");--> statement-breakpoint
ALTER SEQUENCE "events_id_seq" OWNED BY "events"."id";--> statement-breakpoint
CREATE INDEX "events_source_seq_idx" ON "events" USING btree ("source","source_seq");--> statement-breakpoint
CREATE INDEX "events_site_idx" ON "events" USING btree ("site_id","id");--> statement-breakpoint
CREATE INDEX "events_cluster_idx" ON "events" USING btree ("cluster_id","id");--> statement-breakpoint
CREATE INDEX "events_kind_idx" ON "events" USING btree ("kind","id");--> statement-breakpoint
CREATE INDEX "events_received_idx" ON "events" USING btree ("received_at");--> statement-breakpoint
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON "events"
  FOR EACH ROW EXECUTE FUNCTION vigil_reject_change();--> statement-breakpoint
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON "events"
  FOR EACH STATEMENT EXECUTE FUNCTION vigil_reject_change();--> statement-breakpoint
-- One partition per UTC day the existing rows span, and today's and the next three days' (the
-- control plane keeps creating them ahead, services/events/partitions.ts).
DO $$
DECLARE
  d date := coalesce((SELECT min(received_at AT TIME ZONE 'UTC')::date FROM events_unpartitioned), (now() AT TIME ZONE 'UTC')::date);
  last date := (now() AT TIME ZONE 'UTC')::date + 3;
BEGIN
  WHILE d <= last LOOP
    EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF events FOR VALUES FROM (%L) TO (%L)',
      'events_' || to_char(d, 'YYYYMMDD'), (d::timestamp AT TIME ZONE 'UTC'), ((d + 1)::timestamp AT TIME ZONE 'UTC'));
    d := d + 1;
  END LOOP;
END $$;--> statement-breakpoint
INSERT INTO "events" SELECT "id", "site_id", "cluster_id", "director_id", "instance", "kind", "actor", "details", "agent_time", "received_at", "source", "source_seq", "prev_hash", "hash", "clock_skew_ms" FROM "events_unpartitioned" ORDER BY "id";--> statement-breakpoint
DROP TABLE "events_unpartitioned";--> statement-breakpoint
-- What retention pruned: one row per dropped partition, with the last pruned row's id and
-- hash, from which the full verification continues (verify.ts). Append-only like the log.
CREATE TABLE "audit_retention" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"partition" text NOT NULL,
	"range_from" timestamp with time zone NOT NULL,
	"range_to" timestamp with time zone NOT NULL,
	"rows" bigint NOT NULL,
	"last_event_id" bigint NOT NULL,
	"last_hash" text NOT NULL,
	"pruned_at" timestamp with time zone DEFAULT now() NOT NULL,
	"retention_days" integer NOT NULL
);--> statement-breakpoint
CREATE TRIGGER audit_retention_append_only BEFORE UPDATE OR DELETE ON audit_retention
  FOR EACH ROW EXECUTE FUNCTION vigil_reject_change();--> statement-breakpoint
CREATE TRIGGER audit_retention_no_truncate BEFORE TRUNCATE ON audit_retention
  FOR EACH STATEMENT EXECUTE FUNCTION vigil_reject_change();
