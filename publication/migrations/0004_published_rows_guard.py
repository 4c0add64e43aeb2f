"""Database guard (issue 12 §3): what was published stays as published (Y3.6; Y4(2)).

- a result notice is never deleted; its snapshot never changes; it only leaves the "published"
  state, once, for "superseded" (a correction, a new version) or "withdrawn" (with the time, the
  person and the reason, set once);
- the publication log is append-only: no entry is changed or deleted.

Uses inspections' shuangsuiji_locked_row() (inspections 0011)."""

from django.db import migrations

GUARD = """
CREATE OR REPLACE FUNCTION publication_notice_guard() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'published result notice % cannot be deleted', OLD.id;
  END IF;
  IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
       OLD.status = 'published' AND NEW.status IN ('superseded', 'withdrawn')) THEN
    RAISE EXCEPTION 'result notice % cannot go from % to %', OLD.id, OLD.status, NEW.status;
  END IF;
  IF (to_jsonb(NEW) - 'status') IS DISTINCT FROM (to_jsonb(OLD) - 'status') AND NOT (
       OLD.status = 'published' AND NEW.status = 'withdrawn'
       AND (to_jsonb(NEW) - 'status' - 'withdrawn_at' - 'withdrawn_by_id' - 'withdrawal_reason')
           = (to_jsonb(OLD) - 'status' - 'withdrawn_at' - 'withdrawn_by_id' - 'withdrawal_reason')) THEN
    RAISE EXCEPTION 'published result notice % is locked: it cannot be changed', OLD.id;
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER publication_resultnotice_locked BEFORE UPDATE OR DELETE ON publication_resultnotice
  FOR EACH ROW EXECUTE FUNCTION publication_notice_guard();
CREATE TRIGGER publication_publication_locked BEFORE UPDATE OR DELETE ON publication_publication
  FOR EACH ROW EXECUTE FUNCTION shuangsuiji_locked_row('', '', '');
"""
UNGUARD = """
DROP TRIGGER IF EXISTS publication_publication_locked ON publication_publication;
DROP TRIGGER IF EXISTS publication_resultnotice_locked ON publication_resultnotice;
DROP FUNCTION IF EXISTS publication_notice_guard();
"""


def guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD, params=None)


def unguard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNGUARD, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("publication", "0003_schedule_feed_flush"),
        ("inspections", "0011_locked_rows_guard"),
    ]
    operations = [migrations.RunPython(guard, unguard)]
