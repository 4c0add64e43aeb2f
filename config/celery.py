"""Celery application. The broker comes from REDIS_URL; without it (the quick-start's embedded
defaults) kombu's filesystem transport is used, so `make run` needs no broker server yet runs a real
worker and beat — never eager mode."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("shuangsuiji")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
