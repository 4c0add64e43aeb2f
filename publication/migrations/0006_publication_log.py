"""The publication log is core's now (core 0006): Django forgets it here without touching its
tables."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("publication", "0005_change_history"),
        ("core", "0006_publication_log"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="publication",
                    name="by",
                ),
                migrations.RemoveField(
                    model_name="publication",
                    name="subject_type",
                ),
                migrations.DeleteModel(
                    name="HistoricalPublication",
                ),
                migrations.DeleteModel(
                    name="Publication",
                ),
            ],
            database_operations=[],
        ),
    ]
