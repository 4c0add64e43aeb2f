"""Database guard (issue 12 §3): what was signed, submitted, approved or sent cannot be changed
below the services, by the ORM or by SQL (PostgreSQL triggers, as 0002/0005/0006 do for the
draw's result; Y3.5: archived completely and accurately; Y4(2): traceable).

- a submitted check record, an approved report, a recorded feedback and a filing can be neither
  deleted nor changed; what the services set after locking may be set once (the snapshot, the
  PDF and its hash, the legal office's receipt) and never again;
- the rows of a submitted record (items, evidence, signatures) and the results of an approved
  report can be neither inserted, changed nor deleted;
- a closed ledger entry (销号) stays as it was closed.

The comparison covers the whole row (to_jsonb), so a column added later is frozen too unless a
migration names it as settable once."""

from django.db import migrations

GUARD = """
-- TG_ARGV: [0] the column that locks the row ('' = every row is locked), [1] its locking values,
-- comma-separated ('*' = any value but NULL), [2] the columns that may still be set once,
-- comma-separated, from empty (NULL or '') to a value.
CREATE OR REPLACE FUNCTION shuangsuiji_locked_row() RETURNS trigger AS $$
DECLARE
  old_row jsonb := to_jsonb(OLD);
  new_row jsonb;
  col text;
BEGIN
  IF TG_ARGV[0] <> '' AND NOT (
       CASE WHEN TG_ARGV[1] = '*' THEN old_row->>TG_ARGV[0] IS NOT NULL
            ELSE old_row->>TG_ARGV[0] = ANY (string_to_array(TG_ARGV[1], ',')) END) THEN
    RETURN COALESCE(NEW, OLD);
  END IF;
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION '% % is locked: it cannot be deleted', TG_TABLE_NAME, OLD.id;
  END IF;
  new_row := to_jsonb(NEW);
  FOREACH col IN ARRAY string_to_array(TG_ARGV[2], ',') LOOP
    IF coalesce(old_row->>col, '') = '' THEN
      old_row := old_row - col;
      new_row := new_row - col;
    END IF;
  END LOOP;
  IF new_row IS DISTINCT FROM old_row THEN
    RAISE EXCEPTION '% % is locked: it cannot be changed', TG_TABLE_NAME, OLD.id;
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;

-- TG_ARGV: [0] the parent table, [1] the column pointing at it, [2] the column that locks the
-- parent, [3] its locking value. No row of a locked parent is inserted, changed or deleted.
CREATE OR REPLACE FUNCTION shuangsuiji_locked_parent() RETURNS trigger AS $$
DECLARE
  parent_ids bigint[];
  locked boolean;
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    parent_ids := ARRAY[(to_jsonb(OLD)->>TG_ARGV[1])::bigint];
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    parent_ids := parent_ids || (to_jsonb(NEW)->>TG_ARGV[1])::bigint;
  END IF;
  EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE id = ANY ($1) AND %I = $2)',
                 TG_ARGV[0], TG_ARGV[2])
    INTO locked USING parent_ids, TG_ARGV[3];
  IF locked THEN
    RAISE EXCEPTION '% of a locked % cannot be %', TG_TABLE_NAME, TG_ARGV[0],
      CASE TG_OP WHEN 'INSERT' THEN 'added' WHEN 'UPDATE' THEN 'changed' ELSE 'deleted' END;
  END IF;
  RETURN COALESCE(NEW, OLD);
END $$ LANGUAGE plpgsql;

CREATE TRIGGER inspections_checkrecord_locked BEFORE UPDATE OR DELETE ON inspections_checkrecord
  FOR EACH ROW EXECUTE FUNCTION shuangsuiji_locked_row('status', 'submitted', 'snapshot,pdf,pdf_sha256');
CREATE TRIGGER inspections_inspectionreport_locked BEFORE UPDATE OR DELETE ON inspections_inspectionreport
  FOR EACH ROW EXECUTE FUNCTION shuangsuiji_locked_row('status', 'approved', 'snapshot,pdf,pdf_sha256');
CREATE TRIGGER inspections_feedback_locked BEFORE UPDATE OR DELETE ON inspections_feedback
  FOR EACH ROW EXECUTE FUNCTION shuangsuiji_locked_row('', '', 'snapshot,letter,letter_sha256');
CREATE TRIGGER inspections_filing_locked BEFORE UPDATE OR DELETE ON inspections_filing
  FOR EACH ROW EXECUTE FUNCTION shuangsuiji_locked_row('', '', 'received_by_id,received_at');
CREATE TRIGGER inspections_ledgerentry_locked BEFORE UPDATE OR DELETE ON inspections_ledgerentry
  FOR EACH ROW EXECUTE FUNCTION shuangsuiji_locked_row('closed_on', '*', '');

CREATE TRIGGER inspections_checkrecorditem_locked BEFORE INSERT OR UPDATE OR DELETE ON inspections_checkrecorditem
  FOR EACH ROW EXECUTE FUNCTION shuangsuiji_locked_parent('inspections_checkrecord', 'record_id', 'status', 'submitted');
CREATE TRIGGER inspections_evidence_locked BEFORE INSERT OR UPDATE OR DELETE ON inspections_evidence
  FOR EACH ROW EXECUTE FUNCTION shuangsuiji_locked_parent('inspections_checkrecord', 'record_id', 'status', 'submitted');
CREATE TRIGGER inspections_signature_locked BEFORE INSERT OR UPDATE OR DELETE ON inspections_signature
  FOR EACH ROW EXECUTE FUNCTION shuangsuiji_locked_parent('inspections_checkrecord', 'record_id', 'status', 'submitted');
CREATE TRIGGER inspections_targetresult_locked BEFORE INSERT OR UPDATE OR DELETE ON inspections_targetresult
  FOR EACH ROW EXECUTE FUNCTION shuangsuiji_locked_parent('inspections_inspectionreport', 'report_id', 'status', 'approved');
"""

TABLES = [
    "checkrecord",
    "inspectionreport",
    "feedback",
    "filing",
    "ledgerentry",
    "checkrecorditem",
    "evidence",
    "signature",
    "targetresult",
]
UNGUARD = "".join(
    f"DROP TRIGGER IF EXISTS inspections_{t}_locked ON inspections_{t};\n" for t in TABLES
)


def guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD, params=None)


def unguard(apps, schema_editor):
    # The two functions stay: publication's guards (publication 0004) use them too.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNGUARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("inspections", "0010_fill_document_snapshots")]
    operations = [migrations.RunPython(guard, unguard)]
