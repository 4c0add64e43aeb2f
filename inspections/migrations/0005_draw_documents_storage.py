"""The draw documents (announcement and result) run to megabytes at national scale: store them with
lz4 instead of PostgreSQL's default pglz (about twice as fast to write), and let the immutability
guard compare the announcement only when an UPDATE names it, instead of comparing 8.8 MiB of JSON
on every update of the row (docs/performance.md). PostgreSQL only, like the guard (0002)."""

from django.db import migrations

COLUMNS = ["announcement", "result"]

GUARD = """
CREATE OR REPLACE FUNCTION inspections_draw_guard() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' AND OLD.status = 'executed' THEN
    RAISE EXCEPTION 'executed draw % is immutable', OLD.id;
  END IF;
  IF TG_OP = 'UPDATE' AND OLD.status = 'executed' AND (
       NEW.status IS DISTINCT FROM OLD.status OR NEW.result IS DISTINCT FROM OLD.result
       OR NEW.source_values IS DISTINCT FROM OLD.source_values
       OR NEW.executed_at IS DISTINCT FROM OLD.executed_at
       OR NEW.task_id IS DISTINCT FROM OLD.task_id OR NEW.number IS DISTINCT FROM OLD.number
       OR (OLD.superseded_at IS NOT NULL AND NEW.superseded_at IS DISTINCT FROM OLD.superseded_at)) THEN
    RAISE EXCEPTION 'executed draw % is immutable', OLD.id;
  END IF;
  RETURN COALESCE(NEW, OLD);
END $$ LANGUAGE plpgsql;

-- Announced or executed, the announcement never changes once published.
CREATE OR REPLACE FUNCTION inspections_draw_announcement_guard() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'the announcement of draw % is frozen', OLD.id;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER inspections_draw_announcement_guard BEFORE UPDATE OF announcement ON inspections_draw
  FOR EACH ROW WHEN (NEW.announcement IS DISTINCT FROM OLD.announcement)
  EXECUTE FUNCTION inspections_draw_announcement_guard();
"""

UNGUARD = """
DROP TRIGGER IF EXISTS inspections_draw_announcement_guard ON inspections_draw;
DROP FUNCTION IF EXISTS inspections_draw_announcement_guard();
CREATE OR REPLACE FUNCTION inspections_draw_guard() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' AND OLD.status = 'executed' THEN
    RAISE EXCEPTION 'executed draw % is immutable', OLD.id;
  END IF;
  IF TG_OP = 'UPDATE' AND OLD.status = 'executed' AND (
       NEW.status IS DISTINCT FROM OLD.status OR NEW.result IS DISTINCT FROM OLD.result
       OR NEW.announcement IS DISTINCT FROM OLD.announcement
       OR NEW.source_values IS DISTINCT FROM OLD.source_values
       OR NEW.executed_at IS DISTINCT FROM OLD.executed_at
       OR NEW.task_id IS DISTINCT FROM OLD.task_id OR NEW.number IS DISTINCT FROM OLD.number
       OR (OLD.superseded_at IS NOT NULL AND NEW.superseded_at IS DISTINCT FROM OLD.superseded_at)) THEN
    RAISE EXCEPTION 'executed draw % is immutable', OLD.id;
  END IF;
  IF TG_OP = 'UPDATE' AND OLD.status = 'announced' AND NEW.announcement IS DISTINCT FROM OLD.announcement THEN
    RAISE EXCEPTION 'the announcement of draw % is frozen', OLD.id;
  END IF;
  RETURN COALESCE(NEW, OLD);
END $$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = apps.get_model("inspections", "Draw")._meta.db_table
    for column in COLUMNS:
        schema_editor.execute(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" SET COMPRESSION lz4')
    schema_editor.execute(GUARD, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = apps.get_model("inspections", "Draw")._meta.db_table
    schema_editor.execute(UNGUARD, params=None)
    for column in COLUMNS:
        schema_editor.execute(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" SET COMPRESSION pglz')


class Migration(migrations.Migration):
    dependencies = [("inspections", "0004_plan_snapshot")]
    operations = [migrations.RunPython(forwards, backwards)]
