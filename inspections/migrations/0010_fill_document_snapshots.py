"""Freeze what the documents of rows locked before snapshots existed show (issue 12 §1): every
submitted check record, approved report and recorded feedback gets its snapshot as the data stands
now — the same builders the services use, on the historical models. Their stored PDFs stay as
they are (never rendered again while their files match their hashes)."""

from django.db import migrations

from inspections.services import snapshots


def fill(apps, schema_editor):
    kinds = [
        ("CheckRecord", {"status": "submitted"}, snapshots.record_snapshot),
        ("InspectionReport", {"status": "approved"}, snapshots.report_snapshot),
        ("Feedback", {}, snapshots.feedback_snapshot),
    ]
    for model_name, locked, build in kinds:
        model = apps.get_model("inspections", model_name)
        for pk in model.objects.filter(snapshot__isnull=True, **locked).values_list("pk", flat=True):
            model.objects.filter(pk=pk).update(snapshot=build(pk, apps=apps))


def empty(apps, schema_editor):
    for model_name in ("CheckRecord", "InspectionReport", "Feedback"):
        apps.get_model("inspections", model_name).objects.update(snapshot=None)


class Migration(migrations.Migration):
    dependencies = [("inspections", "0009_document_snapshots")]
    operations = [migrations.RunPython(fill, empty)]
