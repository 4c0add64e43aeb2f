"""The demo's accounts: one for each role, the three demo inspectors tied to their registry entries,
and an account (that cannot log in) for every other inspector."""

import hashlib
import secrets
from base64 import b32encode

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import roles
from inspections.models import Tablet
from inspections.services import tablet_new_code, tablet_register
from registry.models import Inspector

ACCOUNTS = [
    # The three separated administrators (三员分立, issue 14 §2): none is a superuser.
    ("demo-admin", roles.SYSADMIN, True),
    ("demo-secadmin", roles.SECADMIN, True),
    ("demo-auditadmin", roles.AUDITADMIN, True),
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


def demo_totp_key(username: str) -> str:
    """The demo account's authenticator key (hex, 20 bytes): fixed and public, so that a newcomer
    can add it to an authenticator app from the README or the demo's output. Demo only."""
    return hashlib.sha1(f"shuangsuiji demo totp {username}".encode()).hexdigest()


def demo_totp_secret(username: str) -> str:
    """The key as authenticator apps want it typed in (base32)."""
    return b32encode(bytes.fromhex(demo_totp_key(username))).decode()


def demo_totp_code(username: str) -> str:
    """The code the demo account's authenticator shows now."""
    return f"{TOTP(bytes.fromhex(demo_totp_key(username))).token():06d}"


def staff_authenticators() -> list[tuple[str, str]]:
    """Every demo staff account with its fixed authenticator (confirmed: no enrolment); the
    accounts and their secrets."""
    User = get_user_model()
    rows = []
    for username, _group, is_staff in ACCOUNTS:
        if not is_staff:
            continue
        user = User.objects.get(username=username)
        TOTPDevice.objects.filter(user=user).exclude(key=demo_totp_key(username)).delete()
        TOTPDevice.objects.update_or_create(
            user=user,
            key=demo_totp_key(username),
            defaults={"name": "demo", "confirmed": True},
        )
        rows.append((username, demo_totp_secret(username)))
    return rows


DEMO_TABLET = "演示平板"


def demo_tablet_code() -> str | None:
    """A binding code for the demo's tablet (the field screens open only on a bound tablet:
    inspections.services.tablets), or None when a browser is already bound to it."""
    office = account("demo-staff")
    tablet = Tablet.objects.filter(name=DEMO_TABLET, revoked_at__isnull=True).first()
    if tablet is None:
        return tablet_register(name=DEMO_TABLET, by=office)[1]
    if tablet.bound_at:
        return None
    return tablet_new_code(tablet=tablet, by=office)


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
