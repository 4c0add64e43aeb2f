"""The database guard of the draws, completed (issue 12 §3; N10–N12, Y4(2)). PostgreSQL only, like
0002, 0005 and 0006.

- A draw is inserted as announced, with nothing of an execution, and never deleted.
- What a draw publishes about itself is frozen from the announcement on: task, number, the time
  and author of the announcement, whether it is verifiable, the immediate draw's reason and
  witnesses, the re-draw's origin, reason, requester and approver. (The services now write them
  when the draw is created.)
- The status only goes from announced to executed, once, and only for a draw not superseded;
  the source values, result, execution time and executor are set by that change and never
  again. The superseded mark is set once.
- Selections and team members can only be added while their draw is announced and live: the
  execution writes them before it changes the status, and the change of status checks that the
  rows match the result in number. An executed draw therefore never gains a row (0002 already
  forbids changing or deleting one).

Cost (bench/draw.py, 2,000 selections, 4,000 team members): the row trigger compares only small
columns; the result and source values are compared by a trigger that fires only when an UPDATE
names them and the draw is already executed (so never on the execution itself, where the old
value is NULL, nor on setting the superseded mark). The row checks are statement triggers with
transition tables: one join per INSERT statement (bulk_create batches), reading each draw's
status and superseded mark — never its megabytes of JSON. The count at the change of status
reads the new result once per draw.
"""

from django.db import migrations

GUARD = """
CREATE OR REPLACE FUNCTION inspections_draw_guard() RETURNS trigger AS $$
DECLARE
  selections bigint;
  members bigint;
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'draw % is published: a draw is never deleted', OLD.id;
  END IF;
  IF TG_OP = 'INSERT' THEN
    IF NEW.status IS DISTINCT FROM 'announced' OR NEW.result IS NOT NULL
       OR NEW.source_values IS NOT NULL OR NEW.executed_at IS NOT NULL
       OR NEW.executed_by_id IS NOT NULL OR NEW.superseded_at IS NOT NULL THEN
      RAISE EXCEPTION 'a draw is inserted as announced, without an execution';
    END IF;
    RETURN NEW;
  END IF;
  -- UPDATE: what the draw published at its announcement never changes.
  IF NEW.task_id IS DISTINCT FROM OLD.task_id OR NEW.number IS DISTINCT FROM OLD.number
     OR NEW.announced_at IS DISTINCT FROM OLD.announced_at
     OR NEW.announced_by_id IS DISTINCT FROM OLD.announced_by_id
     OR NEW.verifiable IS DISTINCT FROM OLD.verifiable
     OR NEW.immediate_reason IS DISTINCT FROM OLD.immediate_reason
     OR NEW.witnesses IS DISTINCT FROM OLD.witnesses
     OR NEW.redraw_of_id IS DISTINCT FROM OLD.redraw_of_id
     OR NEW.redraw_reason IS DISTINCT FROM OLD.redraw_reason
     OR NEW.redraw_requested_by_id IS DISTINCT FROM OLD.redraw_requested_by_id
     OR NEW.redraw_approved_by_id IS DISTINCT FROM OLD.redraw_approved_by_id THEN
    RAISE EXCEPTION 'the published fields of draw % are frozen', OLD.id;
  END IF;
  IF OLD.superseded_at IS NOT NULL AND NEW.superseded_at IS DISTINCT FROM OLD.superseded_at THEN
    RAISE EXCEPTION 'draw % is superseded: immutable', OLD.id;
  END IF;
  IF OLD.status = 'executed' THEN
    -- The result and source values are compared by inspections_draw_values_guard.
    IF NEW.status IS DISTINCT FROM OLD.status
       OR NEW.executed_at IS DISTINCT FROM OLD.executed_at
       OR NEW.executed_by_id IS DISTINCT FROM OLD.executed_by_id THEN
      RAISE EXCEPTION 'executed draw % is immutable', OLD.id;
    END IF;
  ELSIF NEW.status = 'announced' THEN
    IF NEW.result IS NOT NULL OR NEW.source_values IS NOT NULL
       OR NEW.executed_at IS NOT NULL OR NEW.executed_by_id IS NOT NULL THEN
      RAISE EXCEPTION 'draw % is only announced: it has no result', OLD.id;
    END IF;
  ELSIF NEW.status = 'executed' THEN
    IF OLD.superseded_at IS NOT NULL OR NEW.superseded_at IS NOT NULL THEN
      RAISE EXCEPTION 'draw % is superseded: it is never executed', OLD.id;
    END IF;
    IF NEW.result IS NULL OR NEW.source_values IS NULL OR NEW.executed_at IS NULL
       OR NEW.executed_by_id IS NULL THEN
      RAISE EXCEPTION 'executing draw % sets its values, result, time and executor', OLD.id;
    END IF;
    IF NEW.executed_at < OLD.announced_at THEN
      RAISE EXCEPTION 'draw % cannot be executed before it was announced', OLD.id;
    END IF;
    -- The rows are written before the status changes (no row is accepted after): all there?
    SELECT count(*) INTO selections FROM inspections_drawselection WHERE draw_id = NEW.id;
    SELECT count(*) INTO members FROM inspections_teammember tm
      JOIN inspections_drawselection s ON s.id = tm.selection_id WHERE s.draw_id = NEW.id;
    IF jsonb_typeof(NEW.result->'selections') IS DISTINCT FROM 'array'
       OR jsonb_typeof(NEW.result->'teams') IS DISTINCT FROM 'array'
       OR selections <> jsonb_array_length(NEW.result->'selections')
       OR members <> (SELECT coalesce(sum(jsonb_array_length(t->'members')), 0)
                        FROM jsonb_array_elements(NEW.result->'teams') t) THEN
      RAISE EXCEPTION 'draw %: % selections and % team members do not match its result',
        OLD.id, selections, members;
    END IF;
  ELSE
    RAISE EXCEPTION 'draw %: unknown status %', OLD.id, NEW.status;
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS inspections_draw_guard ON inspections_draw;
CREATE TRIGGER inspections_draw_guard BEFORE INSERT OR UPDATE OR DELETE ON inspections_draw
  FOR EACH ROW EXECUTE FUNCTION inspections_draw_guard();

-- The result and source values of an executed draw: compared only when an UPDATE names them.
CREATE OR REPLACE FUNCTION inspections_draw_values_guard() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'executed draw % is immutable', OLD.id;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER inspections_draw_values_guard
  BEFORE UPDATE OF result, source_values ON inspections_draw
  FOR EACH ROW WHEN (OLD.status = 'executed' AND (NEW.result IS DISTINCT FROM OLD.result
                     OR NEW.source_values IS DISTINCT FROM OLD.source_values))
  EXECUTE FUNCTION inspections_draw_values_guard();

-- Rows only for a draw that is announced and live.
CREATE OR REPLACE FUNCTION inspections_selection_insert_guard() RETURNS trigger AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM new_rows n JOIN inspections_draw d ON d.id = n.draw_id
             WHERE d.status <> 'announced' OR d.superseded_at IS NOT NULL) THEN
    RAISE EXCEPTION 'selections can only be added to a draw being executed';
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER inspections_selection_insert_guard AFTER INSERT ON inspections_drawselection
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION inspections_selection_insert_guard();

CREATE OR REPLACE FUNCTION inspections_teammember_insert_guard() RETURNS trigger AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM new_rows n
             JOIN inspections_drawselection s ON s.id = n.selection_id
             JOIN inspections_draw d ON d.id = s.draw_id
             WHERE d.status <> 'announced' OR d.superseded_at IS NOT NULL) THEN
    RAISE EXCEPTION 'team members can only be added to a draw being executed';
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER inspections_teammember_insert_guard AFTER INSERT ON inspections_teammember
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION inspections_teammember_insert_guard();
"""

# Back to 0005's function and 0002's trigger.
UNGUARD = """
DROP TRIGGER IF EXISTS inspections_teammember_insert_guard ON inspections_teammember;
DROP TRIGGER IF EXISTS inspections_selection_insert_guard ON inspections_drawselection;
DROP FUNCTION IF EXISTS inspections_teammember_insert_guard();
DROP FUNCTION IF EXISTS inspections_selection_insert_guard();
DROP TRIGGER IF EXISTS inspections_draw_values_guard ON inspections_draw;
DROP FUNCTION IF EXISTS inspections_draw_values_guard();
DROP TRIGGER IF EXISTS inspections_draw_guard ON inspections_draw;
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
CREATE TRIGGER inspections_draw_guard BEFORE UPDATE OR DELETE ON inspections_draw
  FOR EACH ROW EXECUTE FUNCTION inspections_draw_guard();
"""


def guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD, params=None)


def unguard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNGUARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("inspections", "0013_task_late_reason")]
    operations = [migrations.RunPython(guard, unguard)]
