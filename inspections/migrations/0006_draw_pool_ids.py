"""The frozen pools' database ids, kept beside the announcement (not published) so the result rows
point at exactly what was announced; frozen like the announcement (PostgreSQL guard)."""

from django.db import migrations, models

GUARD = """
DROP TRIGGER IF EXISTS inspections_draw_announcement_guard ON inspections_draw;
CREATE TRIGGER inspections_draw_announcement_guard
  BEFORE UPDATE OF announcement, pool_ids ON inspections_draw
  FOR EACH ROW WHEN (NEW.announcement IS DISTINCT FROM OLD.announcement
                     OR NEW.pool_ids IS DISTINCT FROM OLD.pool_ids)
  EXECUTE FUNCTION inspections_draw_announcement_guard();
"""
UNGUARD = """
DROP TRIGGER IF EXISTS inspections_draw_announcement_guard ON inspections_draw;
CREATE TRIGGER inspections_draw_announcement_guard BEFORE UPDATE OF announcement ON inspections_draw
  FOR EACH ROW WHEN (NEW.announcement IS DISTINCT FROM OLD.announcement)
  EXECUTE FUNCTION inspections_draw_announcement_guard();
"""


def fill_pool_ids(apps, schema_editor):
    """Draws announced before this migration and not yet executed: their entries, by the credit
    codes and certificate numbers they were announced with."""
    Draw = apps.get_model("inspections", "Draw")
    Institution = apps.get_model("registry", "Institution")
    Inspector = apps.get_model("registry", "Inspector")
    for draw in Draw.objects.filter(status="announced", pool_ids={}):
        pools = draw.announcement.get("pools")
        if not pools:
            continue
        codes = [e["credit_code"] for e in pools["targets"]["entries"]]
        certificates = [e["certificate"] for e in pools["inspectors"]["entries"]]
        institution = dict(
            Institution.objects.filter(credit_code__in=codes).values_list("credit_code", "id")
        )
        inspector = dict(
            Inspector.objects.filter(certificate_number__in=certificates).values_list(
                "certificate_number", "id"
            )
        )
        if set(codes) - set(institution) or set(certificates) - set(inspector):
            continue  # an entry no longer in the registry: such a draw can only be re-drawn
        Draw.objects.filter(pk=draw.pk).update(
            pool_ids={
                "targets": [institution[c] for c in codes],
                "inspectors": [inspector[c] for c in certificates],
            }
        )


def guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD, params=None)


def unguard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNGUARD, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("inspections", "0005_draw_documents_storage"),
        ("registry", "0005_risk_refresh_log"),
    ]

    operations = [
        migrations.AddField(
            model_name="draw",
            name="pool_ids",
            field=models.JSONField(default=dict, editable=False, verbose_name="名录内部编号"),
        ),
        migrations.RunPython(fill_pool_ids, migrations.RunPython.noop),
        migrations.RunPython(guard, unguard),
    ]
