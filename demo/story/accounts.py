"""The demo's accounts: one for each role, the three demo inspectors tied to their registry entries,
and an account (that cannot log in) for every other inspector."""

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from core import roles
from registry.models import Inspector

ACCOUNTS = [
    ("demo-admin", roles.SYSADMIN, True),
    ("demo-staff", roles.STAFF, True),
    ("demo-leader", roles.LEADER, True),
    ("demo-legal", roles.LEGAL, True),
    ("demo-auditor", roles.AUDITOR, True),
    ("demo-inspector-1", roles.INSPECTOR, False),
    ("demo-inspector-2", roles.INSPECTOR, False),
    ("demo-inspector-3", roles.INSPECTOR, False),
]
INSPECTOR_ACCOUNTS = {  # certificate number: account
    "500103001001": "demo-inspector-1",
    "500103001002": "demo-inspector-2",
    "500103001003": "demo-inspector-3",
}


def accounts(password: str | None) -> str:
    """The demo accounts with `password`, or a random one; the password."""
    password = password or secrets.token_urlsafe(9)
    User = get_user_model()
    for username, group, is_staff in ACCOUNTS:
        user, _created = User.objects.get_or_create(username=username)
        user.is_staff = is_staff
        user.is_superuser = False  # least privilege: roles come from the groups
        user.set_password(password)
        user.save()
        user.groups.set([Group.objects.get(name=group)])
    for certificate, username in INSPECTOR_ACCOUNTS.items():
        Inspector.objects.filter(certificate_number=certificate).update(
            user=User.objects.get(username=username)
        )
    return password


def account(username: str):
    return get_user_model().objects.get(username=username)


def inspector_accounts() -> None:
    """Every inspector signs in on the tablet with an account of their own; the demo's other
    inspectors get one (no password: only the three demo-inspector accounts log in)."""
    User = get_user_model()
    group = Group.objects.get(name=roles.INSPECTOR)
    for inspector in Inspector.objects.filter(user__isnull=True):
        user, _created = User.objects.get_or_create(
            username=f"inspector-{inspector.certificate_number}"
        )
        user.set_unusable_password()
        user.save()
        user.groups.set([group])
        inspector.user = user
        inspector.save(update_fields=["user"])
