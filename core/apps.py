from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
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


class BureauAdminConfig(admin_apps.AdminConfig):
    """Django's admin with the bureau's site (core.adminsite): the second factor for staff."""

    default = False  # AdminConfig's True would make it the app config of "core"
    default_site = "core.adminsite.BureauAdminSite"
