"""What the audit trail records of Django's own events (issue 14 §3): logins, failed logins and
logouts (django.contrib.auth's signals), and every change of an account's roles or permissions
or of a role's permissions (the many-to-many changes, whoever makes them: the admin, a command,
the roles' synchronisation after a migration). Connected in CoreConfig.ready().

The other events are recorded where they happen, by the service that does the thing (draws,
publication, downloads, exports, lockouts, reveals of personal data)."""

import contextlib
import contextvars

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import connection

from core.audit import audit_record
from core.models import AuditEvent


def on_login(sender, request, user, **kwargs) -> None:
    audit_record(AuditEvent.Action.LOGIN, request=request, user=user, detail=_surface(request))


def on_logout(sender, request, user, **kwargs) -> None:
    if user is not None:
        audit_record(AuditEvent.Action.LOGOUT, request=request, user=user, detail=_surface(request))


def on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    """A failed login names the account only when it exists: a password typed into the username
    field must not end up in the trail."""
    typed = str(credentials.get("username", ""))[:150]
    user = get_user_model()._default_manager.filter(username=typed).first() if typed else None
    audit_record(
        AuditEvent.Action.LOGIN_FAILED,
        request=request,
        user=user,
        outcome=AuditEvent.Outcome.FAILURE,
        detail={**_surface(request), **({} if user else {"unknown_account": True})},
    )


def _surface(request) -> dict:
    """Which login page: the admin, the tablet, …"""
    path = getattr(request, "path", "") or ""
    return {"path": path[:100]} if path else {}


_deploying = contextvars.ContextVar("audit_deploying", default=False)


@contextlib.contextmanager
def role_definitions_sync():
    """The roles' permissions re-synchronised after a migration (core.roles): the definitions are
    code (core/roles.py), reviewed where code is; what is audited is who is given which role."""
    token = _deploying.set(True)
    try:
        yield
    finally:
        _deploying.reset(token)


def on_m2m_changed(sender, instance, action, reverse, model, pk_set, **kwargs) -> None:
    if action not in ("post_add", "post_remove", "pre_clear") or _deploying.get():
        return
    if not _trail_ready():
        return  # a migration to an older schema: the trail is not there
    User = get_user_model()
    if action == "pre_clear":  # the rows are gone after the clear: name them before
        pk_set = set(getattr(instance, _field(sender)).values_list("pk", flat=True))
        if not pk_set:
            return
    change = "removed" if action in ("post_remove", "pre_clear") else "added"
    if sender is User.groups.through:
        if reverse:  # group.user_set.add(users…)
            for user in User._default_manager.filter(pk__in=pk_set):
                _record(AuditEvent.Action.ROLE_CHANGED, user, change, [instance.name])
        else:
            names = list(Group.objects.filter(pk__in=pk_set).values_list("name", flat=True))
            _record(AuditEvent.Action.ROLE_CHANGED, instance, change, names)
    elif sender in (User.user_permissions.through, Group.permissions.through):
        if reverse:  # permission.user_set / permission.group_set
            owners = model._default_manager.filter(pk__in=pk_set)
            for owner in owners:
                _record(AuditEvent.Action.PERMISSION_CHANGED, owner, change, [_perm(instance)])
        else:
            perms = Permission.objects.filter(pk__in=pk_set).select_related("content_type")
            _record(
                AuditEvent.Action.PERMISSION_CHANGED, instance, change, sorted(map(_perm, perms))
            )


def _field(sender) -> str:
    User = get_user_model()
    if sender is User.groups.through:
        return "groups"
    if sender is User.user_permissions.through:
        return "user_permissions"
    return "permissions"


def _perm(permission: Permission) -> str:
    return f"{permission.content_type.app_label}.{permission.codename}"


def _record(action, target, change: str, names: list[str]) -> None:
    audit_record(action, target=target, detail={change: names})


def _trail_ready() -> bool:
    return AuditEvent._meta.db_table in connection.introspection.table_names()
