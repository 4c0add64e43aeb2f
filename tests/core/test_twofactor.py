"""The staff's second factor over HTTP (issue 14 §1; GB/T 22239-2019 8.1.4.1 a/c: identification
and two or more authentication techniques, one of them cryptographic; 8.1.4.1 b: failed attempts
limited). Every test logs in with the password through /admin/login/, as a person would."""

import re

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import roles
from core.models import AuditEvent
from tests.factories import UserFactory
from tests.twofactor import SecondFactorClient, confirmed_totp, totp_code

pytestmark = pytest.mark.django_db
PASSWORD = "Kx9-pass-word!"
LOGIN = "/admin/login/"
ENROL = "/admin/second-factor/enrol/"
Action = AuditEvent.Action
VERIFY = "/admin/second-factor/"
CODES = "/admin/second-factor/recovery-codes/"


@pytest.fixture
def staff(staff_user):
    staff_user.set_password(PASSWORD)
    staff_user.save()
    return staff_user


def audited(action, user) -> list[AuditEvent]:
    """The audit trail's entries of `action` about `user` (issue 14 §3)."""
    return list(AuditEvent.objects.filter(action=action, target_id=str(user.pk)).order_by("pk"))


def password_login(client, user, next_url="/admin/"):
    return client.post(
        f"{LOGIN}?next={next_url}",
        {"username": user.username, "password": PASSWORD, "next": next_url},
    )


def enrol(client, user) -> list[str]:
    """Password, then the enrolment with the authenticator's code: the recovery codes shown."""
    password_login(client, user)
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(ENROL, {"code": totp_code(device), "next": "/admin/"})
    assert response.status_code == 200
    return re.findall(r"<li><code>([a-z2-7]+)</code></li>", response.content.decode())


def test_a_staff_password_alone_reaches_no_admin_page(client, staff):
    """After the password, the admin, a model list and a staff download all send the user to the
    enrolment (through the login page); nothing of the admin is shown."""
    response = password_login(client, staff)
    assert response.status_code == 302
    assert response.url == f"{ENROL}?next=%2Fadmin%2F"
    for url in ["/admin/", "/admin/registry/institution/", "/admin/files/x/1/y/"]:
        response = client.get(url, follow=True)
        assert response.redirect_chain[-1][0].startswith(ENROL), url
        assert "业务管理" not in response.content.decode()


def test_enrolment_shows_a_qr_code_and_the_secret_and_works_offline_under_csp(client, staff):
    password_login(client, staff)
    response = client.get(ENROL)
    page = response.content.decode()
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "<svg" in page and "style=" not in page
    assert not re.search(r"<script(?![^>]*\bsrc=)", page), "an inline script"
    assert not re.search(r"(src|href)=\"(https?:)?//", page), "something from another site"
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1)
    assert len(secret.replace(" ", "")) == 32
    # Reloading the page keeps the same secret (the phone already scanned it).
    assert secret in client.get(ENROL).content.decode()
    assert TOTPDevice.objects.filter(user=staff).count() == 1
    assert not device.confirmed


def test_a_wrong_code_at_enrolment_is_refused_and_enrols_nothing(client, staff):
    password_login(client, staff)
    client.get(ENROL)
    response = client.post(ENROL, {"code": "000000"})
    assert response.status_code == 400
    assert "验证码不正确" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=staff, confirmed=True).exists()
    assert client.get("/admin/").status_code == 302
    [failed] = audited(Action.OTP_FAILED, staff)
    assert failed.outcome == "failure" and failed.detail["stage"] == "enrol"


def test_enrolment_confirms_shows_ten_recovery_codes_once_and_lets_in(client, staff):
    codes = enrol(client, staff)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/admin/").status_code == 200
    assert len(audited(Action.OTP_ENROLLED, staff)) == 1
    assert not any(code in str(e.detail) for e in AuditEvent.objects.all() for code in codes)
    # Shown once: the page to regenerate them only counts them.
    page = client.get(CODES).content.decode()
    assert "10" in page and not any(code in page for code in codes)


def test_next_login_asks_for_the_code_and_a_right_one_lets_in(client, staff):
    device = confirmed_totp(staff)
    response = password_login(client, staff, "/admin/registry/institution/")
    assert response.url == f"{VERIFY}?next=%2Fadmin%2Fregistry%2Finstitution%2F"
    assert client.get("/admin/").status_code == 302
    response = client.post(
        VERIFY, {"code": totp_code(device), "next": "/admin/registry/institution/"}
    )
    assert response.status_code == 302 and response.url == "/admin/registry/institution/"
    assert client.get("/admin/").status_code == 200


def test_a_used_code_cannot_be_replayed_by_someone_who_saw_it(staff):
    """Shoulder-surfing: the code a colleague just typed does not work a second time."""
    device = confirmed_totp(staff)
    code = totp_code(device)
    first, second = Client(), Client()
    password_login(first, staff)
    assert first.post(VERIFY, {"code": code}).status_code == 302
    password_login(second, staff)
    assert second.post(VERIFY, {"code": code}).status_code == 400
    assert second.get("/admin/").status_code == 302


def test_wrong_codes_are_throttled_even_a_right_one_right_after(client, staff):
    """Guessing: after wrong codes the device refuses every code for a growing delay
    (django-otp's throttling: 1 s, 2 s, 4 s …), the right one included."""
    device = confirmed_totp(staff)
    password_login(client, staff)
    assert client.post(VERIFY, {"code": "123456"}).status_code == 400
    response = client.post(VERIFY, {"code": totp_code(device)})
    assert response.status_code == 400
    assert "错误次数过多" in response.content.decode()
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    assert client.get("/admin/").status_code == 302
    wrong, throttled = audited(Action.OTP_FAILED, staff)
    assert (wrong.outcome, throttled.outcome) == ("failure", "refused")
    assert throttled.detail == {"stage": "login", "kind": "totp", "reason": "throttled"}


def test_a_recovery_code_works_once(client, staff):
    codes = enrol(client, staff)
    client.post("/admin/logout/")
    password_login(client, staff)
    assert client.post(VERIFY, {"code": codes[0].upper()}).status_code == 302
    assert client.get("/admin/").status_code == 200
    other = Client()
    password_login(other, staff)
    assert other.post(VERIFY, {"code": codes[0]}).status_code == 400
    assert StaticToken.objects.filter(device__user=staff).count() == 9
    [used] = audited(Action.OTP_RECOVERY_USED, staff)
    assert used.detail == {"left": 9}
    assert audited(Action.OTP_FAILED, staff)[-1].detail["kind"] == "recovery"


def test_regenerated_recovery_codes_replace_the_old(client, staff):
    old = enrol(client, staff)
    response = client.post(CODES)
    new = re.findall(r"<li><code>([a-z2-7]+)</code></li>", response.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    other = Client()
    password_login(other, staff)
    assert other.post(VERIFY, {"code": old[1]}).status_code == 400
    assert other.post(VERIFY, {"code": new[1]}).status_code in (302, 400)  # throttled a second


def test_regenerating_recovery_codes_needs_the_second_factor(client, staff):
    confirmed_totp(staff)
    password_login(client, staff)
    assert client.post(CODES).status_code == 302
    assert not StaticToken.objects.filter(device__user=staff).exists()


def test_logout_works_before_the_second_factor(client, staff):
    password_login(client, staff)
    response = client.post("/admin/logout/")
    assert response.status_code == 302
    assert client.get(ENROL).url == LOGIN


def test_the_second_factor_pages_need_the_password_first(client, staff):
    assert client.get(ENROL).url == LOGIN
    assert client.get(VERIFY).url == LOGIN
    assert client.post(VERIFY, {"code": "123456"}).url == LOGIN


def test_next_cannot_send_the_user_to_another_site(client, staff):
    device = confirmed_totp(staff)
    password_login(client, staff)
    response = client.post(VERIFY, {"code": totp_code(device), "next": "https://evil.example/"})
    assert response.url == "/admin/"


def test_an_account_that_is_not_staff_gets_no_second_factor_page(client, db):
    user = UserFactory(username="public", is_staff=False)
    user.set_password(PASSWORD)
    user.save()
    response = password_login(client, user)
    assert response.status_code == 200  # the login form again, with Django's refusal
    assert client.get(ENROL).url == LOGIN


def reset(client, user):
    return client.post(
        "/admin/auth/user/",
        {"action": "reset_second_factor", "_selected_action": [user.pk]},
        follow=True,
    )


def test_the_security_administrator_resets_a_lost_phone_and_the_user_enrols_again(staff):
    """The permission to delete authenticators is the reset (core.twofactor.RESET_PERMISSION);
    the session the user had verified is no longer verified."""
    device = confirmed_totp(staff)
    session = Client()
    password_login(session, staff)
    session.post(VERIFY, {"code": totp_code(device)})
    assert session.get("/admin/").status_code == 200

    # The security administrator (三员分立: core.roles.SECADMIN holds delete_totpdevice).
    security = UserFactory(username="security", is_staff=True)
    security.groups.add(Group.objects.get(name=roles.SECADMIN))
    admin = SecondFactorClient()
    admin.force_login(security)  # with its own second factor (tests/twofactor.py)
    response = reset(admin, staff)
    assert "已重置 1 个账号的第二因素" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=staff).exists()
    assert session.get("/admin/").status_code == 302
    assert password_login(Client(), staff).url.startswith(ENROL)
    [event] = audited(Action.OTP_RESET, staff)
    assert event.username == "security"


def test_without_the_permission_there_is_no_reset(staff, client):
    confirmed_totp(staff)
    # The system administrator keeps the accounts, not their second factors.
    clerk = UserFactory(username="clerk", is_staff=True)
    clerk.groups.add(Group.objects.get(name=roles.SYSADMIN))
    client.force_login(clerk)
    response = reset(client, staff)
    assert "reset_second_factor" not in response.content.decode()
    assert TOTPDevice.objects.filter(user=staff, confirmed=True).exists()
