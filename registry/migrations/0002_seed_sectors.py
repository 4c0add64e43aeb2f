"""The six sectors of N5 are fixed: create them with their Chinese names."""

from django.db import migrations

SECTORS = [
    ("lawyer", "律师"),
    ("notary", "公证"),
    ("appraisal", "司法鉴定"),
    ("arbitration", "仲裁"),
    ("legal_aid", "法律援助"),
    ("grassroots", "基层法律服务"),
]


def create_sectors(apps, schema_editor):
    Sector = apps.get_model("registry", "Sector")
    for order, (code, name) in enumerate(SECTORS, start=1):
        Sector.objects.update_or_create(code=code, defaults={"name": name, "order": order})


def delete_sectors(apps, schema_editor):
    apps.get_model("registry", "Sector").objects.filter(code__in=[c for c, _ in SECTORS]).delete()


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]
    operations = [migrations.RunPython(create_sectors, delete_sectors)]
