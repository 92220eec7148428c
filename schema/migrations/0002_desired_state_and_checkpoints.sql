CREATE TABLE "instance_masters" (
	"cluster_id" uuid NOT NULL,
	"instance" text NOT NULL,
	"director_id" uuid NOT NULL,
	"event_id" bigint NOT NULL,
	CONSTRAINT "instance_masters_cluster_id_instance_pk" PRIMARY KEY("cluster_id","instance")
);
--> statement-breakpoint
CREATE TABLE "audit_checkpoints" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"event_id" bigint NOT NULL,
	"hash" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"key_id" text NOT NULL,
	"signature" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "clusters" ADD COLUMN "admin_version" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "directors" ADD COLUMN "maintenance" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "enrollment_tokens" ADD COLUMN "cluster_name" text;--> statement-breakpoint
ALTER TABLE "enrollment_tokens" ADD COLUMN "director_name" text;--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "clock_skew_ms" integer;--> statement-breakpoint
ALTER TABLE "instance_masters" ADD CONSTRAINT "instance_masters_cluster_id_clusters_id_fk" FOREIGN KEY ("cluster_id") REFERENCES "public"."clusters"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "instance_masters" ADD CONSTRAINT "instance_masters_director_id_directors_id_fk" FOREIGN KEY ("director_id") REFERENCES "public"."directors"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION vigil_reject_change();
--> statement-breakpoint
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION vigil_reject_change();
--> statement-breakpoint
-- Desired state used to be derived from the audit log; carry over what operators set (never
-- what an agent reported: those rows are not operator actions and must not take effect).
UPDATE directors d SET maintenance = COALESCE((
  SELECT (e.details->>'on')::boolean FROM events e
  WHERE e.kind = 'director.maintenance' AND e.director_id = d.id AND e.actor NOT LIKE 'agent:%'
  ORDER BY e.id DESC LIMIT 1), false);
--> statement-breakpoint
INSERT INTO instance_masters (cluster_id, instance, director_id, event_id)
SELECT cluster_id, instance, director_id, id FROM (
  SELECT DISTINCT ON (e.cluster_id, e.instance) e.cluster_id, e.instance, e.director_id, e.id
  FROM events e
  WHERE e.kind = 'instance.move_master' AND e.actor NOT LIKE 'agent:%' AND e.instance IS NOT NULL AND e.cluster_id IS NOT NULL
  ORDER BY e.cluster_id, e.instance, e.id DESC
) latest
WHERE director_id IS NOT NULL AND EXISTS (SELECT 1 FROM directors d WHERE d.id = latest.director_id);
--> statement-breakpoint
UPDATE clusters c SET admin_version = COALESCE((
  SELECT max(e.id) FROM events e
  WHERE e.cluster_id = c.id AND e.kind IN ('director.maintenance', 'instance.move_master') AND e.actor NOT LIKE 'agent:%'), 0);
