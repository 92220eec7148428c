-- The audit log and spec revisions are append-only, enforced by the database itself so that no
-- application bug (or hand-written SQL through the app's role) can rewrite history.
CREATE FUNCTION vigil_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'table % is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
  FOR EACH ROW EXECUTE FUNCTION vigil_reject_change();
--> statement-breakpoint
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
  FOR EACH STATEMENT EXECUTE FUNCTION vigil_reject_change();
--> statement-breakpoint
CREATE TRIGGER spec_revisions_append_only BEFORE UPDATE OR DELETE ON spec_revisions
  FOR EACH ROW EXECUTE FUNCTION vigil_reject_change();
--> statement-breakpoint
CREATE TRIGGER spec_revisions_no_truncate BEFORE TRUNCATE ON spec_revisions
  FOR EACH STATEMENT EXECUTE FUNCTION vigil_reject_change();
