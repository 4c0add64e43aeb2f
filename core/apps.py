from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("基础设置")

    def ready(self) -> None:
        from core import tasks  # noqa: F401 - registers the tasks services enqueue by name (core.queue)
        from core.roles import roles_sync_after_migrate

        # Groups need the permissions Django creates after migrating each app, hence post_migrate
        # for every app (idempotent and cheap); the last app's signal sees all permissions.
        post_migrate.connect(roles_sync_after_migrate, dispatch_uid="core.roles_sync")

        # A malformed PII key stops every process at start-up (gunicorn, Celery, manage.py), not
        # the first page that shows an ID number. None at all: production settings refuse that.
        if settings.PII_KEYS:
            from core.pii import pii_keyring

            pii_keyring()
