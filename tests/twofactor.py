"""Test helpers for the staff's second factor (core.twofactor, issue 14 §1): an authenticator with
a known key, its current code, and a test client's session marked as having passed it."""

from binascii import unhexlify

from django.conf import settings
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

# 20 bytes, as django-otp generates them; every test authenticator has it.
TEST_KEY = "3132333435363738393031323334353637383930"


def confirmed_totp(user, key: str = TEST_KEY) -> TOTPDevice:
    """The user's confirmed authenticator (created with `key` if there is none)."""
    device, _created = TOTPDevice.objects.get_or_create(
        user=user, confirmed=True, defaults={"name": "test", "key": key}
    )
    return device


def totp_code(device_or_key, *, offset: int = 0) -> str:
    """The code the authenticator shows now (`offset` steps of 30 s later or earlier)."""
    key = getattr(device_or_key, "key", device_or_key)
    totp = TOTP(unhexlify(key), step=30, digits=6)
    totp.time += offset * 30
    return f"{totp.token():06d}"


def otp_session_verify(client, user) -> None:
    """Mark the test client's session as verified with the user's authenticator, as
    django_otp.login() does after a right code."""
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = confirmed_totp(user).persistent_id
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key


class SecondFactorClient(Client):
    """Django's test client, whose `force_login` — a test's way past the password — also passes a
    staff account's second factor (tests/twofactor.py), so that tests of the admin's screens need
    not each enrol an authenticator. `login()` (with the password) does not: tests/core/
    test_twofactor.py drives the real flow over HTTP."""

    def force_login(self, user, backend=None):
        super().force_login(user, backend)
        if user.is_staff:
            otp_session_verify(self, user)


def bound_tablet_cookie(*, name: str = "测试平板") -> tuple[str, str]:
    """A tablet bound the way the office binds one (registered, its code typed on the tablet):
    the cookie's name and signed value, for a test client or a browser context."""
    from django.core import signing

    from inspections.services import tablets
    from tests.factories import UserFactory

    office = UserFactory(is_staff=True)
    _tablet, code = tablets.tablet_register(name=name, by=office)
    _tablet, token = tablets.tablet_bind(code=code)
    signer = signing.get_cookie_signer(salt=tablets.COOKIE + tablets.COOKIE_SALT)
    return tablets.COOKIE, signer.sign(token)
