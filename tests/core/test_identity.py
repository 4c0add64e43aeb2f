"""Identity (身份鉴别, issue 14 §1; GB/T 22239-2019 8.1.4.1 a, b, d): lockout on every login
surface, sessions that end on the server, password rules, the initial password changed at the
first login — each attacked through the HTTP client as an outsider would."""

import datetime as dt
import re

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import identity, roles
from core.models import AccountSecurity, AuditEvent
from tests.factories import PASSWORD, InspectorFactory, UserFactory
from tests.twofactor import bound_tablet_cookie, confirmed_totp, totp_code

ADMIN_LOGIN = "/admin/login/"
INSPECT_LOGIN = "/inspect/login/"
STRONG = "Qiang-Mima-2026!"

pytestmark = pytest.mark.django_db


def _login(client, url, username, password, **extra):
    if url == INSPECT_LOGIN:
        _on_a_bound_tablet(client)
    return client.post(url, {"username": username, "password": password}, **extra)


def _on_a_bound_tablet(client) -> None:
    """Inspectors log in only on a tablet the office bound (core.twofactor, docs/security.md)."""
    from inspections.services import tablets

    if tablets.COOKIE not in client.cookies:
        name, value = bound_tablet_cookie()
        client.cookies[name] = value


def _fail(client, url, username, times, **extra):
    for _ in range(times):
        response = _login(client, url, username, "wrong-password", **extra)
    return response


def _age_attempts(minutes: float) -> None:
    """Time travel: every failed attempt happened `minutes` earlier."""
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=minutes))


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def staff(db):
    return UserFactory(username="zhang", is_staff=True, is_superuser=True)


@pytest.fixture
def inspector(db):
    user = UserFactory(username="li")
    InspectorFactory(user=user)
    return user


# --- Lockout ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "who"), [(ADMIN_LOGIN, "staff"), (INSPECT_LOGIN, "inspector")])
def test_five_failures_lock_the_account_even_with_the_right_password(client, request, url, who):
    """5 wrong passwords for one account: the 5th answer and every later one is 429 with a
    Chinese message naming until when; the right password is refused too."""
    user = request.getfixturevalue(who)
    response = _fail(client, url, user.username, 4)
    assert response.status_code == 200
    assert "锁定" not in response.content.decode()
    response = _fail(client, url, user.username, 1)
    assert response.status_code == 429
    until = timezone.localtime(AccessAttempt.objects.get().attempt_time) + dt.timedelta(minutes=30)
    assert f"已锁定至 {until:%Y-%m-%d %H:%M}" in response.content.decode()
    response = _login(client, url, user.username, PASSWORD)
    assert response.status_code == 429
    assert f"已锁定至 {until:%Y-%m-%d %H:%M}" in response.content.decode()
    assert not _logged_in(client)


def test_the_lock_lasts_30_minutes_and_attempts_during_it_neither_count_nor_extend_it(
    client, staff
):
    _fail(client, ADMIN_LOGIN, "zhang", 5)
    _age_attempts(20)
    before = AccessAttempt.objects.get()
    # More guesses during the lock: refused, not recorded, so the lock still ends as announced.
    assert _fail(client, ADMIN_LOGIN, "zhang", 3).status_code == 429
    after = AccessAttempt.objects.get()
    assert (after.failures_since_start, after.attempt_time) == (5, before.attempt_time)
    _age_attempts(29)
    assert _login(client, ADMIN_LOGIN, "zhang", PASSWORD).status_code == 429
    _age_attempts(30.1)
    response = _login(client, ADMIN_LOGIN, "zhang", PASSWORD)
    assert response.status_code == 302
    assert _logged_in(client)


def test_an_unknown_user_name_is_answered_like_a_known_one(client, staff):
    """Neither the first failure nor the lock tells an outsider which names exist."""
    known, unknown = (_fail(client, ADMIN_LOGIN, name, 1) for name in ("zhang", "nobody"))
    assert known.status_code == unknown.status_code == 200
    assert _page(known, "zhang") == _page(unknown, "nobody")
    known, unknown = (_fail(client, ADMIN_LOGIN, name, 4) for name in ("zhang", "nobody"))
    assert known.status_code == unknown.status_code == 429
    assert _page(known, "zhang") == _page(unknown, "nobody")


def _page(response, name: str) -> str:
    """The page without what differs by design: the name typed and the CSRF token."""
    text = response.content.decode().replace(name, "NAME")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)


def test_twenty_failures_from_one_address_lock_it_for_every_account(client, staff):
    for n in range(19):
        assert _fail(client, ADMIN_LOGIN, f"guess{n}", 1).status_code == 200
    assert _fail(client, INSPECT_LOGIN, "guess19", 1).status_code == 429  # both surfaces count
    response = _login(client, ADMIN_LOGIN, "zhang", PASSWORD)
    assert response.status_code == 429
    assert "已锁定至" in response.content.decode()
    # The account itself is not locked: from another address it logs in.
    response = _login(client, ADMIN_LOGIN, "zhang", PASSWORD, REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 302


def test_a_forged_x_forwarded_for_does_not_give_a_fresh_address(client, staff):
    """Without a trusted proxy (TRUSTED_PROXY_COUNT=0) the client's own header is ignored."""
    for n in range(20):
        _fail(client, ADMIN_LOGIN, f"guess{n}", 1, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}
    response = _login(client, ADMIN_LOGIN, "zhang", PASSWORD, HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert response.status_code == 429


def test_behind_a_trusted_proxy_the_address_it_saw_counts(client, staff, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    forged = "6.6.6.6, 198.51.100.7"  # the proxy appends what it saw; the client wrote the rest
    _fail(client, ADMIN_LOGIN, "guess", 1, HTTP_X_FORWARDED_FOR=forged)
    assert AccessAttempt.objects.get().ip_address == "198.51.100.7"


def test_a_success_forgets_the_accounts_failures_but_not_the_addresss(client, staff):
    _fail(client, ADMIN_LOGIN, "zhang", 4)
    assert _login(client, ADMIN_LOGIN, "zhang", PASSWORD).status_code == 302
    client.logout()
    # The account starts again from zero: 4 more failures do not lock it.
    assert _fail(client, ADMIN_LOGIN, "zhang", 4).status_code == 200
    # The address still counts the first 4: 8 so far, 12 more lock it.
    for n in range(11):
        assert _fail(client, ADMIN_LOGIN, f"guess{n}", 1).status_code == 200
    assert _fail(client, ADMIN_LOGIN, "guess11", 1).status_code == 429


def test_no_password_in_the_stored_attempts_or_the_log(client, staff, caplog):
    caplog.set_level("INFO")
    _login(client, ADMIN_LOGIN, "zhang", "Sup3r-Secret-Guess")
    attempt = AccessAttempt.objects.get()
    assert "Sup3r-Secret-Guess" not in attempt.post_data
    assert "Sup3r-Secret-Guess" not in caplog.text
    assert "zhang" not in caplog.text  # AXES_VERBOSE=False: the name is masked too


# --- Unlock by the security administrator ----------------------------------------------------


def _lockout_admin(user, role):
    """三员分立: the permissions come with the role (core.roles), never of one's own."""
    user.groups.add(Group.objects.get(name=role))
    return user


def test_the_permitted_role_unlocks_and_the_user_logs_in_again(client, staff):
    _fail(client, ADMIN_LOGIN, "zhang", 5)
    security = _lockout_admin(UserFactory(username="anquan", is_staff=True), roles.SECADMIN)
    client.force_login(security)
    changelist = reverse("admin:core_loginlockout_changelist")
    page = client.get(changelist)
    assert page.status_code == 200
    assert "zhang" in page.content.decode() and "解除所选" in page.content.decode()
    assert "失败次数" in page.content.decode() and "Failed Logins" not in page.content.decode()
    response = client.post(
        changelist,
        {"action": "unlock", "_selected_action": [AccessAttempt.objects.get().pk]},
        follow=True,
    )
    assert "已解除登录锁定" in response.content.decode()
    assert not AccessAttempt.objects.exists()
    client.logout()
    assert _login(client, ADMIN_LOGIN, "zhang", PASSWORD).status_code == 302


def test_unlocking_is_refused_without_the_permission(client, staff):
    _fail(client, ADMIN_LOGIN, "zhang", 5)
    # The system administrator keeps the accounts, not the locks.
    viewer = _lockout_admin(UserFactory(username="kan", is_staff=True), roles.SYSADMIN)
    client.force_login(viewer)
    changelist = reverse("admin:core_loginlockout_changelist")
    assert "解除所选" not in client.get(changelist).content.decode()
    client.post(
        changelist, {"action": "unlock", "_selected_action": [AccessAttempt.objects.get().pk]}
    )
    assert AccessAttempt.objects.get().failures_since_start == 5
    # No change, delete or add: the rows are the attempts' own.
    pk = AccessAttempt.objects.get().pk
    assert (
        client.post(
            reverse("admin:core_loginlockout_delete", args=[pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert AccessAttempt.objects.exists()
    stranger = UserFactory(username="other", is_staff=True)
    client.force_login(stranger)
    assert client.get(changelist).status_code == 403


# --- Sessions --------------------------------------------------------------------------------


def _shift_session(client, **deltas) -> None:
    """Time travel in the session row on the server: its login or last activity earlier."""
    session = client.session
    for key, delta in deltas.items():
        session[key] = session[key] - delta.total_seconds()
    session.save()


@pytest.fixture
def staff_in(client, staff):
    """Logged in as a person is: the password, then the authenticator's code."""
    device = confirmed_totp(staff)
    assert _login(client, ADMIN_LOGIN, "zhang", PASSWORD).status_code == 302
    response = client.post(reverse("admin:second_factor"), {"code": totp_code(device)})
    assert response.status_code == 302
    return client


def test_thirty_minutes_idle_end_the_session_on_the_server(staff_in):
    assert staff_in.get("/admin/").status_code == 200
    _shift_session(staff_in, identity_seen=dt.timedelta(minutes=29))
    assert staff_in.get("/admin/").status_code == 200  # active again: the idle clock restarts
    _shift_session(staff_in, identity_seen=dt.timedelta(minutes=30, seconds=1))
    response = staff_in.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith(ADMIN_LOGIN)
    assert "已 30 分钟无操作，已自动退出" in response.content.decode()
    assert not _logged_in(staff_in)


def test_twelve_hours_after_login_the_session_ends_even_when_active(staff_in):
    _shift_session(staff_in, identity_started=dt.timedelta(hours=11, minutes=59))
    assert staff_in.get("/admin/").status_code == 200
    _shift_session(staff_in, identity_started=dt.timedelta(minutes=2))
    response = staff_in.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith(ADMIN_LOGIN)
    assert "登录已超过 12 小时" in response.content.decode()


def test_an_old_cookie_replayed_after_the_idle_limit_is_refused(client, inspector):
    """The cookie is kept by the attacker; the server still ends the session."""
    assert _login(client, INSPECT_LOGIN, "li", PASSWORD).status_code == 302
    cookie = client.cookies["sessionid"].value
    _shift_session(client, identity_seen=dt.timedelta(minutes=31))
    client.cookies["sessionid"] = cookie
    response = client.get("/inspect/", follow=True)
    assert response.redirect_chain[-1][0].startswith(INSPECT_LOGIN)
    assert "自动退出" in response.content.decode()
    client.cookies["sessionid"] = cookie
    assert client.get("/inspect/").status_code == 302


def test_activity_is_written_at_most_once_a_minute(staff_in):
    key = staff_in.session.session_key
    before = Session.objects.get(pk=key).session_data
    staff_in.get("/admin/")
    assert Session.objects.get(pk=key).session_data == before
    _shift_session(staff_in, identity_seen=dt.timedelta(seconds=61))
    seen = staff_in.session["identity_seen"]
    staff_in.get("/admin/")
    assert staff_in.session["identity_seen"] > seen


# --- Passwords -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("Short-1a", False),  # 8 characters
        ("alllowercaseletters", False),  # 1 class
        ("lowercase1234567", False),  # 2 classes
        ("Lowercase1234567", True),  # upper, lower, digit
        ("lower-case-1234", True),  # lower, symbol, digit
        ("UPPER-CASE-WORDS", False),  # upper, symbol: two classes
        ("Password123", False),  # common
    ],
    ids=["short", "one-class", "two-classes", "three", "three-symbol", "upper-symbol", "common"],
)
def test_password_rules(password, ok):
    try:
        validate_password(password)
    except ValidationError as error:
        assert not ok, error.messages
    else:
        assert ok


def test_a_password_like_the_users_name_is_refused(staff):
    staff.first_name = "Zhangsanfeng"
    with pytest.raises(ValidationError):
        validate_password("Zhangsanfeng1", user=staff)


def test_the_rules_speak_chinese():
    with pytest.raises(ValidationError) as error:
        validate_password("abcdefghijk")
    assert "至少 3 类" in " ".join(error.value.messages)


# --- The initial password --------------------------------------------------------------------


def test_an_account_the_admin_creates_must_change_its_password_at_first_login(client, staff):
    client.force_login(staff)
    response = client.post(
        reverse("admin:auth_user_add"),
        {
            "username": "wang",
            "usable_password": "true",
            "password1": STRONG,
            "password2": STRONG,
        },
    )
    assert response.status_code == 302, response.content.decode()
    assert AccountSecurity.objects.get(user__username="wang").must_change_password
    get_user_model().objects.filter(username="wang").update(is_staff=True)
    client.logout()
    # First the second factor (its enrolment), then the own password, then the admin.
    response = _login(client, ADMIN_LOGIN, "wang", STRONG)
    assert response.status_code == 302 and response.url.startswith(reverse("admin:enrol"))
    client.get(response.url)
    device = TOTPDevice.objects.get(user__username="wang", confirmed=False)
    enrolled = client.post(reverse("admin:enrol"), {"code": totp_code(device), "next": "/admin/"})
    assert enrolled.status_code == 200 and "恢复码" in enrolled.content.decode()
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == reverse("admin:password_change")
    assert "初始密码" in response.content.decode()
    assert client.get("/admin/auth/user/").status_code == 302
    new = "Ziji-De-Mima-77"
    response = client.post(
        reverse("admin:password_change"),
        {"old_password": STRONG, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    assert not AccountSecurity.objects.get(user__username="wang").must_change_password


def test_a_password_the_admin_sets_for_someone_else_is_an_initial_one(client, staff, inspector):
    client.force_login(staff)
    response = client.post(
        reverse("admin:auth_user_password_change", args=[inspector.pk]),
        {"password1": STRONG, "password2": STRONG, "usable_password": "true"},
    )
    assert response.status_code == 302
    assert AccountSecurity.objects.get(user=inspector).must_change_password


def test_an_inspector_with_an_initial_password_changes_it_on_the_tablet(client, inspector):
    identity.password_change_require(user=inspector)
    assert _login(client, INSPECT_LOGIN, "li", PASSWORD).status_code == 302
    response = client.get("/inspect/", follow=True)
    assert response.redirect_chain[-1][0] == reverse("inspect:password_change")
    assert "初始密码" in response.content.decode()
    # The page's scripts are answered, not redirected.
    assert client.get("/inspect/", HTTP_ACCEPT="application/json").status_code == 403
    weak = client.post(
        reverse("inspect:password_change"),
        {"old_password": PASSWORD, "new_password1": "abcdefghij", "new_password2": "abcdefghij"},
    )
    assert weak.status_code == 400 and "至少 3 类" in weak.content.decode()
    response = client.post(
        reverse("inspect:password_change"),
        {"old_password": PASSWORD, "new_password1": STRONG, "new_password2": STRONG},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("inspect:inspection_list")
    assert _logged_in(client)
    assert client.get("/inspect/").status_code == 200


# --- The audit trail (issue 14 §3) -----------------------------------------------------------


def _events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def test_a_lockout_is_recorded_once_and_the_refused_attempts_as_failures(client, staff):
    _fail(client, ADMIN_LOGIN, "zhang", 5)
    _fail(client, ADMIN_LOGIN, "zhang", 2)  # during the lock
    (locked,) = _events(AuditEvent.Action.LOCKED_OUT)
    assert (locked.username, locked.outcome, locked.ip) == ("zhang", "refused", "127.0.0.1")
    assert locked.detail["until"]
    assert len(_events(AuditEvent.Action.LOGIN_FAILED)) == 7


def test_a_lockout_of_an_unknown_name_does_not_write_the_name(client):
    _fail(client, ADMIN_LOGIN, "Sup3r-Secret-Guess", 5)
    (locked,) = _events(AuditEvent.Action.LOCKED_OUT)
    assert locked.username == "" and locked.detail["unknown_account"] is True
    assert "Sup3r" not in str(locked.detail)


def test_an_unlock_is_recorded_with_who_did_it(client, staff):
    _fail(client, ADMIN_LOGIN, "zhang", 5)
    security = _lockout_admin(UserFactory(username="anquan", is_staff=True), roles.SECADMIN)
    client.force_login(security)
    client.post(
        reverse("admin:core_loginlockout_changelist"),
        {"action": "unlock", "_selected_action": [AccessAttempt.objects.get().pk]},
    )
    account, address = _events(AuditEvent.Action.UNLOCKED)
    assert account.username == "anquan" and account.target_id == str(staff.pk)
    assert address.detail == {"scope": "address", "address": "127.0.0.1"}


def test_password_changes_are_recorded(client, staff, inspector):
    client.force_login(staff)
    client.post(
        reverse("admin:auth_user_password_change", args=[inspector.pk]),
        {"password1": STRONG, "password2": STRONG, "usable_password": "true"},
    )
    client.logout()
    _login(client, INSPECT_LOGIN, "li", STRONG)
    new = "Ziji-De-Mima-77"
    client.post(
        reverse("inspect:password_change"),
        {"old_password": STRONG, "new_password1": new, "new_password2": new},
    )
    by_admin, by_self = _events(AuditEvent.Action.PASSWORD_CHANGED)
    assert (by_admin.username, by_admin.target_id) == ("zhang", str(inspector.pk))
    assert by_admin.detail == {"set_by_administrator": True}
    assert (by_self.username, by_self.target_id, by_self.detail) == ("li", str(inspector.pk), {})
