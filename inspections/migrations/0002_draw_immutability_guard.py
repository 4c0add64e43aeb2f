"""Database-level guard: an executed draw, its selections and teams cannot be changed or deleted
(PostgreSQL triggers). Only the superseded mark may be set on an executed draw (re-draws)."""

from django.db import migrations

GUARD = """
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
CREATE TRIGGER inspections_draw_guard BEFORE UPDATE OR DELETE ON inspections_draw
  FOR EACH ROW EXECUTE FUNCTION inspections_draw_guard();

CREATE OR REPLACE FUNCTION inspections_draw_rows_guard() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'rows of an executed draw are immutable';
END $$ LANGUAGE plpgsql;
CREATE TRIGGER inspections_selection_guard BEFORE UPDATE OR DELETE ON inspections_drawselection
  FOR EACH ROW EXECUTE FUNCTION inspections_draw_rows_guard();
CREATE TRIGGER inspections_teammember_guard BEFORE UPDATE OR DELETE ON inspections_teammember
  FOR EACH ROW EXECUTE FUNCTION inspections_draw_rows_guard();
"""
UNGUARD = """
DROP TRIGGER IF EXISTS inspections_teammember_guard ON inspections_teammember;
DROP TRIGGER IF EXISTS inspections_selection_guard ON inspections_drawselection;
DROP TRIGGER IF EXISTS inspections_draw_guard ON inspections_draw;
DROP FUNCTION IF EXISTS inspections_draw_rows_guard();
DROP FUNCTION IF EXISTS inspections_draw_guard();
"""


def guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD, params=None)


def unguard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNGUARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("inspections", "0001_plans_tasks_draws")]
    operations = [migrations.RunPython(guard, unguard)]
