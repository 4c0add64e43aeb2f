"""Celery application. The broker comes from REDIS_URL; without it (the quick-start's embedded
defaults) kombu's filesystem transport is used, so `make run` needs no broker server yet runs a real
worker and beat — never eager mode."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("shuangsuiji")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _make_broker_folders(sender, **kwargs) -> None:
    """kombu's filesystem transport needs its folders to exist before anything is sent."""
    if not (sender.conf.broker_url or "").startswith("filesystem://"):
        return
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            os.makedirs(options[key], exist_ok=True)
