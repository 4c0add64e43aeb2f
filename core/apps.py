from django.apps import AppConfig
from django.conf import settings
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("基础设置")

    def ready(self) -> None:
        from axes.signals import user_locked_out
        from django.contrib.auth import get_user_model
        from django.contrib.auth import signals as auth_signals
        from django.contrib.auth.models import Group
        from django.db.models.signals import m2m_changed, pre_save

        from core import (
            audit_events,
            identity,
            roles,
            tasks,  # noqa: F401 - registers the tasks services enqueue by name (core.queue)
        )
        from core.backups import audit_chain_problems, restore_check
        from core.roles import roles_sync_after_migrate

        # The security audit trail (issue 14 §3): logins, failures, logouts, role changes.
        auth_signals.user_logged_in.connect(audit_events.on_login, dispatch_uid="core.audit.in")
        auth_signals.user_logged_out.connect(audit_events.on_logout, dispatch_uid="core.audit.out")
        auth_signals.user_login_failed.connect(
            audit_events.on_login_failed, dispatch_uid="core.audit.failed"
        )
        # Identity (issue 14 §1): a session's clock and its initial-password flag; lockouts.
        auth_signals.user_logged_in.connect(identity.on_login, dispatch_uid="core.identity.in")
        user_locked_out.connect(identity.on_locked_out, dispatch_uid="core.identity.locked")
        User = get_user_model()
        for through in (
            User.groups.through,
            User.user_permissions.through,
            Group.permissions.through,
        ):
            m2m_changed.connect(
                audit_events.on_m2m_changed, sender=through, dispatch_uid=f"core.audit.{through}"
            )

        # 三员分立 (issue 14 §2): refused here with a message, and by the database's triggers.
        m2m_changed.connect(
            roles.on_groups_changing, sender=User.groups.through, dispatch_uid="core.duties.g"
        )
        m2m_changed.connect(
            roles.on_own_permissions_changing,
            sender=User.user_permissions.through,
            dispatch_uid="core.duties.p",
        )
        pre_save.connect(roles.on_user_saving, sender=User, dispatch_uid="core.duties.su")

        # What `manage.py restore` proves of the restored data (issue 14 §6); the apps add theirs.
        restore_check(_("安全审计记录的哈希链完好"), audit_chain_problems)
        _second_factor_names()

        # Groups need the permissions Django creates after migrating each app, hence post_migrate
        # for every app (idempotent and cheap); the last app's signal sees all permissions.
        post_migrate.connect(roles_sync_after_migrate, dispatch_uid="core.roles_sync")

        # A malformed PII key stops every process at start-up (gunicorn, Celery, manage.py), not
        # the first page that shows an ID number. None at all: production settings refuse that.
        if settings.PII_KEYS:
            from core.pii import pii_keyring

            pii_keyring()


def _second_factor_names() -> None:
    """django-otp names its apps and models in English, untranslated (“Otp_Totp | TOTP device”):
    the screens' language for them (the permission pickers, the admin's lists)."""
    from django.apps import apps

    names = {
        "otp_totp": (_("身份验证器"), {"totpdevice": (_("身份验证器"), _("身份验证器"))}),
        "otp_static": (
            _("恢复码"),
            {
                "staticdevice": (_("恢复码组"), _("恢复码组")),
                "statictoken": (_("恢复码"), _("恢复码")),
            },
        ),
    }
    for label, (app_name, models) in names.items():
        config = apps.get_app_config(label)
        config.verbose_name = app_name
        for model_name, (singular, plural) in models.items():
            meta = config.get_model(model_name)._meta
            meta.verbose_name, meta.verbose_name_plural = singular, plural


class BureauAdminConfig(admin_apps.AdminConfig):
    """Django's admin with the bureau's site (core.adminsite): the second factor for staff."""

    default = False  # AdminConfig's True would make it the app config of "core"
    default_site = "core.adminsite.BureauAdminSite"
