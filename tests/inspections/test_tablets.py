"""The inspectors' tablets (issue 14 §1; docs/security.md 身份鉴别): on /inspect/ the second factor
is a bureau tablet the office bound — the password opens the field screens there only. Each test
attacks it over HTTP as an outsider or a colleague would (GB/T 22239-2019 8.1.4.1 c)."""

import datetime
import re

import pytest
from django.test import Client
from django.utils import timezone

from core.models import AuditEvent
from inspections.models import Tablet
from inspections.services import tablets
from tests.factories import PASSWORD, InspectorFactory, UserFactory
from tests.twofactor import SecondFactorClient, bound_tablet_cookie

pytestmark = pytest.mark.django_db
LOGIN = "/inspect/login/"
BIND = "/inspect/tablet/"


@pytest.fixture
def inspector(inspector_user):
    InspectorFactory(user=inspector_user)
    return inspector_user


@pytest.fixture
def colleague(db):
    user = UserFactory(username="colleague", is_staff=False)
    InspectorFactory(user=user)
    return user


def log_in(client, user):
    return client.post(LOGIN, {"username": user.username, "password": PASSWORD})


def on_a_bound_tablet() -> Client:
    client = Client()
    name, value = bound_tablet_cookie()
    client.cookies[name] = value
    return client


def office_registers(staff_client, name="监督科 1 号平板") -> str:
    """The office adds a tablet in the admin; the binding code it is shown once."""
    response = staff_client.post("/admin/inspections/tablet/add/", {"name": name}, follow=True)
    page = response.content.decode()
    return re.search(r"绑定码：([A-Z2-9]{5}-[A-Z2-9]{5})", page).group(1)


def test_the_right_password_on_an_unbound_device_is_refused(client, inspector):
    """A stolen or guessed password is not enough from a home computer or a phone: refused
    before the password is checked, in the audit trail, and no session."""
    response = log_in(client, inspector)
    assert response.status_code == 200
    page = response.content.decode()
    assert "本设备不是已绑定的执法平板" in page and BIND in page
    assert "_auth_user_id" not in client.session
    assert client.get("/inspect/").status_code == 302
    event = AuditEvent.objects.get(action=AuditEvent.Action.LOGIN_FAILED)
    assert event.outcome == "refused" and event.detail["reason"] == "unbound_tablet"


def test_the_office_binds_a_tablet_and_its_inspectors_log_in(staff_user, inspector):
    staff = SecondFactorClient()
    staff.force_login(staff_user)
    code = office_registers(staff)
    tablet = Tablet.objects.get()
    assert tablet.binding_code_hash and code.replace("-", "") not in str(tablet.__dict__)

    device = Client()
    response = device.post(BIND, {"code": code.lower()})
    assert response.status_code == 302
    cookie = response.cookies[tablets.COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    tablet.refresh_from_db()
    assert tablet.bound_at and len(tablet.token_hash) == 64
    assert tablet.token_hash not in cookie.value  # only the digest is stored

    assert log_in(device, inspector).url == "/inspect/"
    assert device.get("/inspect/").status_code == 200
    tablet.refresh_from_db()
    assert tablet.last_login_at is not None
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"tablet_registered", "tablet_bound"} <= actions


def test_a_binding_code_works_once(staff_client, inspector):
    code = office_registers(staff_client)
    assert Client().post(BIND, {"code": code}).status_code == 302
    second = Client()
    response = second.post(BIND, {"code": code})
    assert response.status_code == 400
    assert "绑定码不正确或已过期" in response.content.decode()
    assert tablets.COOKIE not in response.cookies
    assert log_in(second, inspector).status_code == 200  # still refused


def test_an_expired_binding_code_is_refused(staff_client):
    code = office_registers(staff_client)
    Tablet.objects.update(binding_code_expires=timezone.now() - datetime.timedelta(seconds=1))
    assert Client().post(BIND, {"code": code}).status_code == 400


def test_a_forged_or_copied_cookie_does_not_bind(inspector):
    """Someone who guesses the cookie's name, or copies its value without the signature, or
    signs a token of their own: not a bound tablet."""
    name, value = bound_tablet_cookie()
    token, _sep, _signature = value.rpartition(":")
    for forged in [token, "x" * 43, value[:-2] + "AA", tablets._digest(token)]:
        client = Client()
        client.cookies[name] = forged
        assert log_in(client, inspector).status_code == 200, forged
        assert "_auth_user_id" not in client.session


def test_a_stopped_tablet_no_longer_logs_in(staff_client, inspector):
    device = on_a_bound_tablet()
    tablet = Tablet.objects.get()
    response = staff_client.post(
        "/admin/inspections/tablet/",
        {"action": "revoke", "_selected_action": [tablet.pk]},
        follow=True,
    )
    assert "已停用所选平板" in response.content.decode()
    assert log_in(device, inspector).status_code == 200
    assert "_auth_user_id" not in device.session


def test_a_new_binding_code_ends_the_old_binding(staff_client, inspector):
    device = on_a_bound_tablet()
    tablet = Tablet.objects.get()
    response = staff_client.post(
        "/admin/inspections/tablet/",
        {"action": "new_code", "_selected_action": [tablet.pk]},
        follow=True,
    )
    code = re.search(r"绑定码：([A-Z2-9]{5}-[A-Z2-9]{5})", response.content.decode()).group(1)
    assert log_in(device, inspector).status_code == 200  # the old cookie no longer works
    fresh = Client()
    fresh.post(BIND, {"code": code})
    assert log_in(fresh, inspector).status_code == 302


def test_colleagues_share_a_tablet_each_with_their_own_password(inspector, colleague):
    """The tablet is the bureau's, not a person's: a colleague logs in on it with their own
    account after the first logs out. Knowing the tablet does not help with someone else's
    account: the colleague's password opens only the colleague's."""
    device = on_a_bound_tablet()
    assert log_in(device, inspector).status_code == 302
    device.post("/inspect/logout/")
    assert log_in(device, colleague).status_code == 302
    assert int(device.session["_auth_user_id"]) == colleague.pk
    device.post("/inspect/logout/")
    response = device.post(LOGIN, {"username": inspector.username, "password": "colleague-guess"})
    assert response.status_code == 200 and "_auth_user_id" not in device.session


def test_only_the_office_registers_tablets(client, inspector, auditor_user):
    client.force_login(auditor_user)
    assert client.post("/admin/inspections/tablet/add/", {"name": "x"}).status_code == 403
    assert not Tablet.objects.exists()
