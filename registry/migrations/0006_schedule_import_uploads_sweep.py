"""Schedule the sweep of left-behind import files with django-celery-beat (every 15 minutes,
issue 12 §8): a file a check left behind is deleted once older than IMPORT_UPLOAD_MAX_AGE."""

from django.db import migrations

TASK = "registry.import_uploads_sweep_task"
NAME = "每 15 分钟删除过期的导入上传文件"


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every, _ = IntervalSchedule.objects.get_or_create(every=15, period="minutes")
    PeriodicTask.objects.update_or_create(name=NAME, defaults={"task": TASK, "interval": every})


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0005_risk_refresh_log"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(schedule, unschedule)]
