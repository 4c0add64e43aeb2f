"""The publication log moves from `publication` to `core` (issue 13: a ledger every floor writes
lives on the ground floor). Only Django's state moves: the tables keep their names
(publication_publication, publication_historicalpublication), their rows and their guard
(publication 0004); the content types are renamed, so the permissions granted on the log and
every generic reference to it stay as they are."""

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


MODELS = ("publication", "historicalpublication")


def _rename(apps, old: str, new: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        # A content type the new label already has (none, unless a run was interrupted) gives
        # way to the old one, which carries the permissions.
        if ContentType.objects.filter(app_label=old, model=model).exists():
            ContentType.objects.filter(app_label=new, model=model).delete()
            ContentType.objects.filter(app_label=old, model=model).update(app_label=new)
    ContentType.objects.clear_cache()


def content_types_to_core(apps, schema_editor):
    _rename(apps, "publication", "core")


def content_types_to_publication(apps, schema_editor):
    _rename(apps, "core", "publication")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0005_outbox_email"),
        ("publication", "0005_change_history"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="HistoricalPublication",
                    fields=[
                        (
                            "id",
                            models.BigIntegerField(
                                auto_created=True, blank=True, db_index=True, verbose_name="ID"
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("plan", "年度抽查计划"),
                                    ("plan_revision", "计划修订"),
                                    ("checkitem_list", "抽查事项清单"),
                                    ("registry", "名录库"),
                                    ("draw", "随机抽取"),
                                    ("result", "抽查结果"),
                                ],
                                max_length=16,
                                verbose_name="内容",
                            ),
                        ),
                        (
                            "channel",
                            models.CharField(
                                choices=[
                                    ("site", "本平台公开栏目（政府信息公开）"),
                                    ("credit", "信用信息共享平台"),
                                ],
                                max_length=8,
                                verbose_name="渠道",
                            ),
                        ),
                        ("subject_id", models.PositiveBigIntegerField(blank=True, null=True)),
                        ("title", models.CharField(max_length=300, verbose_name="标题")),
                        (
                            "action",
                            models.CharField(
                                choices=[
                                    ("publish", "公开"),
                                    ("correct", "更正"),
                                    ("withdraw", "撤回"),
                                ],
                                default="publish",
                                max_length=10,
                                verbose_name="操作",
                            ),
                        ),
                        ("at", models.DateTimeField(db_index=True, verbose_name="时间")),
                        ("note", models.TextField(blank=True, verbose_name="说明")),
                        ("history_id", models.AutoField(primary_key=True, serialize=False)),
                        ("history_date", models.DateTimeField(db_index=True)),
                        ("history_change_reason", models.CharField(max_length=100, null=True)),
                        (
                            "history_type",
                            models.CharField(
                                choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")],
                                max_length=1,
                            ),
                        ),
                        (
                            "by",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="操作人",
                            ),
                        ),
                        (
                            "history_user",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "subject_type",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="contenttypes.contenttype",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "historical 公开记录",
                        "verbose_name_plural": "historical 公开记录",
                        "db_table": "publication_historicalpublication",
                        "ordering": ("-history_date", "-history_id"),
                        "get_latest_by": ("history_date", "history_id"),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name="Publication",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("plan", "年度抽查计划"),
                                    ("plan_revision", "计划修订"),
                                    ("checkitem_list", "抽查事项清单"),
                                    ("registry", "名录库"),
                                    ("draw", "随机抽取"),
                                    ("result", "抽查结果"),
                                ],
                                max_length=16,
                                verbose_name="内容",
                            ),
                        ),
                        (
                            "channel",
                            models.CharField(
                                choices=[
                                    ("site", "本平台公开栏目（政府信息公开）"),
                                    ("credit", "信用信息共享平台"),
                                ],
                                max_length=8,
                                verbose_name="渠道",
                            ),
                        ),
                        ("subject_id", models.PositiveBigIntegerField(blank=True, null=True)),
                        ("title", models.CharField(max_length=300, verbose_name="标题")),
                        (
                            "action",
                            models.CharField(
                                choices=[
                                    ("publish", "公开"),
                                    ("correct", "更正"),
                                    ("withdraw", "撤回"),
                                ],
                                default="publish",
                                max_length=10,
                                verbose_name="操作",
                            ),
                        ),
                        ("at", models.DateTimeField(db_index=True, verbose_name="时间")),
                        ("note", models.TextField(blank=True, verbose_name="说明")),
                        (
                            "by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="操作人",
                            ),
                        ),
                        (
                            "subject_type",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="contenttypes.contenttype",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "公开记录",
                        "verbose_name_plural": "公开记录",
                        "db_table": "publication_publication",
                        "ordering": ["-at", "-pk"],
                        "indexes": [
                            models.Index(
                                fields=["subject_type", "subject_id"], name="publication_subject"
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_to_core, content_types_to_publication),
    ]
