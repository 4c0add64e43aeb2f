"""Celery application. The broker comes from REDIS_URL; without it (the quick-start's embedded
defaults) kombu's filesystem transport is used, so `make run` needs no broker server yet runs a real
worker and beat — never eager mode."""

import os

from celery import Celery, signals

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


@signals.after_setup_logger.connect
@signals.after_setup_task_logger.connect
def _mask_personal_data(logger, **kwargs) -> None:
    """The worker replaces the root logger's handlers with its own (settings.LOGGING's are gone):
    they mask ID numbers and phones too (core.pii, issue 14 §4)."""
    from core.pii import PersonalDataFilter

    for handler in logger.handlers:
        if not any(isinstance(f, PersonalDataFilter) for f in handler.filters):
            handler.addFilter(PersonalDataFilter())
