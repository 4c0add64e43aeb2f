"""Identity (身份鉴别, issue 14 §1; GB/T 22239-2019 8.1.4.1): how anyone proves who they are.

- **Lockout** (django-axes, configured in config/settings/base.py): 5 failed attempts for one
  account, or 20 from one address, lock for 30 minutes on every login page (/admin/, /inspect/:
  axes checks every authenticate() call). A locked account's password confirms no signature on a
  colleague's tablet either (whose wrong entries the signing flow's own lock counts,
  inspections.services.signatures). Attempts
  during the lock are refused without being counted, so the lock is never extended; a success
  forgets the account's failures, not the address's. An unknown user name is counted and locked
  like a known one, so that the answers never tell which exist. The security administrator lifts
  a lock (core.admin.security). The address is core.audit.client_address's: REMOTE_ADDR, or
  X-Forwarded-For only behind TRUSTED_PROXY_COUNT proxies (docs/deployment.md §6.1). Lockouts,
  unlocks and password changes are written to the audit trail (core.audit).
- **Sessions** end after 30 minutes idle and 12 hours after the login (SessionLimitsMiddleware):
  the times are kept in the session on the server, the last activity rewritten at most once a
  minute, so that a request costs no extra query.
- **Passwords**: at least 10 characters of 3 of the 4 classes (PasswordClassesValidator, with
  Django's own similarity and common-password checks); an initial password, given by an
  administrator, must be changed at the first login (AccountSecurity, PasswordChangeMiddleware).
"""

import datetime as dt
import string
import time

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.contrib import messages
from django.contrib.auth import get_user_model, logout
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.audit import audit_record
from core.models import AccountSecurity, AuditEvent

ACCOUNT_FAILURE_LIMIT = 5
ADDRESS_FAILURE_LIMIT = 20
IDLE_LIMIT = dt.timedelta(minutes=30)
ABSOLUTE_LIMIT = dt.timedelta(hours=12)
# The last activity is rewritten only when older than this: a session saved on every request would
# cost a query per page (and the idle limit needs no finer grain).
ACTIVITY_GRAIN = dt.timedelta(seconds=60)

SESSION_STARTED = "identity_started"
SESSION_SEEN = "identity_seen"
SESSION_MUST_CHANGE = "identity_must_change_password"


# --- Lockout (django-axes) -------------------------------------------------------------------


def _cool_off_threshold(request: HttpRequest | None) -> dt.datetime:
    now = getattr(request, "axes_attempt_time", None) or timezone.now()
    return now - get_cool_off(request)


def _unlock_time(attempts, limit: int) -> dt.datetime | None:
    """When the failures of `attempts` (still counting) fall below `limit`: the newest rows
    count longest, so the lock ends when the row that reached the limit stops counting."""
    total = 0
    for attempt_time, failures in attempts.order_by("-attempt_time").values_list(
        "attempt_time", "failures_since_start"
    ):
        total += failures
        if total >= limit:
            return attempt_time + get_cool_off(None)
    return None


def lockout_until(*, username: str | None, ip_address: str | None, request=None):
    """Until when the account or the address is locked, or None."""
    recent = AccessAttempt.objects.filter(attempt_time__gte=_cool_off_threshold(request))
    times = [
        _unlock_time(recent.filter(username=username), ACCOUNT_FAILURE_LIMIT) if username else None,
        _unlock_time(recent.filter(ip_address=ip_address), ADDRESS_FAILURE_LIMIT)
        if ip_address
        else None,
    ]
    times = [t for t in times if t is not None]
    return max(times) if times else None


class LockoutHandler(AxesDatabaseHandler):
    """Axes' database handler with two limits instead of one: ACCOUNT_FAILURE_LIMIT failures for
    a user name (from any address) or ADDRESS_FAILURE_LIMIT from an address (for any names).
    Axes compares one number with one limit (AXES_FAILURE_LIMIT, the account's): `get_failures`
    answers the account's failures, or the limit itself while the address is locked."""

    def get_failures(self, request, credentials=None) -> int:
        username = get_client_username(request, credentials)
        recent = AccessAttempt.objects.filter(attempt_time__gte=_cool_off_threshold(request))
        by_address = (
            recent.filter(ip_address=request.axes_ip_address).aggregate(
                n=Sum("failures_since_start")
            )["n"]
            or 0
        )
        if by_address >= ADDRESS_FAILURE_LIMIT:
            return ACCOUNT_FAILURE_LIMIT
        if username is None:
            return 0
        return recent.filter(username=username).aggregate(n=Sum("failures_since_start"))["n"] or 0

    def reset_user_attempts(self, request, credentials=None) -> int:
        """A success forgets the account's failures but not the address's: a guesser who owns
        one account must not wipe the address's count by logging in to it between guesses at
        others. The rows stay, renamed "name#id" (no user name holds "#": Django's validator),
        so that they still count for their address until they age out."""
        username = get_client_username(request, credentials)
        if not username:
            return 0
        rows = list(AccessAttempt.objects.filter(username=username))
        for row in rows:
            row.username = f"{username}#{row.pk}"[:255]
            row.save(update_fields=["username"])
        return len(rows)


def _account(username: str | None):
    """The account of a typed user name, or None: a name that is no account (perhaps a password
    typed into the wrong field) is never written to the trail."""
    if not username:
        return None
    return get_user_model()._default_manager.filter(username=username).first()


def lockout_lift(*, usernames, ip_addresses, request=None) -> int:
    """Forget the failures of these accounts and addresses (the security administrator's
    unlock): both limits then start again from zero for them. One audit entry each."""
    usernames, ip_addresses = sorted(set(usernames)), sorted(set(ip_addresses))
    query = Q(username__in=usernames) | Q(ip_address__in=ip_addresses)
    with transaction.atomic():
        count, _details = AccessAttempt.objects.filter(query).delete()
        for username in usernames:
            account = _account(username)
            audit_record(
                AuditEvent.Action.UNLOCKED,
                request=request,
                target=account,
                detail={"scope": "account", **({} if account else {"unknown_account": True})},
            )
        for address in ip_addresses:
            audit_record(
                AuditEvent.Action.UNLOCKED,
                request=request,
                detail={"scope": "address", "address": address},
            )
    return count


def on_locked_out(sender, request, username, ip_address, **kwargs) -> None:
    """axes' user_locked_out: recorded once, by the failure that reached a limit. Axes sends it
    again for each attempt refused during the lock; those are in the trail as failed logins."""
    if request is None or getattr(request, "axes_failures_since_start", None) is None:
        return
    account = _account(username)
    until = lockout_until(username=username, ip_address=ip_address, request=request)
    audit_record(
        AuditEvent.Action.LOCKED_OUT,
        request=request,
        user=account,
        target=account,
        outcome=AuditEvent.Outcome.REFUSED,
        detail={
            "path": request.path[:100],
            "until": until.isoformat() if until else None,
            **({} if account else {"unknown_account": True}),
        },
    )


def lockout_message(until: dt.datetime | None) -> str:
    if until is None:
        return _("登录失败次数过多，账号已暂时锁定。请稍后再试，或联系安全管理员解锁。")
    return _(
        "登录失败次数过多（同一账号连续 %(account)s 次或同一地址 %(address)s 次），已锁定至 "
        "%(until)s。锁定期间的登录一律拒绝；如需提前解锁，请联系安全管理员。"
    ) % {
        "account": ACCOUNT_FAILURE_LIMIT,
        "address": ADDRESS_FAILURE_LIMIT,
        "until": timezone.localtime(until).strftime("%Y-%m-%d %H:%M"),
    }


def request_lockout_message(request: HttpRequest, username: str | None) -> str:
    until = lockout_until(
        username=username, ip_address=getattr(request, "axes_ip_address", None), request=request
    )
    return lockout_message(until)


class LockoutMessageMixin:
    """For an AuthenticationForm: a locked account or address gets the lockout's message naming
    until when, instead of "wrong user name or password". The same for a user name that exists
    and one that does not (axes counts both)."""

    def get_invalid_login_error(self):
        request = self.request
        if request is not None and getattr(request, "axes_locked_out", False):
            username = self.cleaned_data.get("username")
            return ValidationError(request_lockout_message(request, username), code="locked_out")
        return super().get_invalid_login_error()


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the login page as the view drew it (its form shows the lockout's
    message, LockoutMessageMixin), answered 429 Too Many Requests."""
    if original_response is not None and original_response.status_code == 200:
        original_response.status_code = 429
        return original_response
    username = get_client_username(request, credentials) if credentials else None
    message = request_lockout_message(request, username)
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"error": message}, status=429)
    return HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")


# --- Passwords -------------------------------------------------------------------------------


PASSWORD_MIN_LENGTH = 10
PASSWORD_MIN_CLASSES = 3


def _password_classes(password: str) -> int:
    return sum(
        (
            any(c.isupper() for c in password),
            any(c.islower() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() or c in string.punctuation for c in password),
        )
    )


class PasswordClassesValidator:
    """At least `min_classes` of upper-case letters, lower-case letters, digits and symbols
    (issue 14 §1; GB/T 22239 8.1.4.1 a: 口令具有复杂度要求). The length is Django's
    MinimumLengthValidator's (settings: 10)."""

    def __init__(self, min_classes: int = PASSWORD_MIN_CLASSES) -> None:
        self.min_classes = min_classes

    def validate(self, password, user=None) -> None:
        if _password_classes(password) < self.min_classes:
            raise ValidationError(
                _("密码须包含大写字母、小写字母、数字、符号四类中的至少 %(n)s 类。")
                % {"n": self.min_classes},
                code="password_too_simple",
            )

    def get_help_text(self) -> str:
        return _("密码须包含大写字母、小写字母、数字、符号四类中的至少 %(n)s 类。") % {
            "n": self.min_classes
        }


def password_change_require(*, user, request=None) -> None:
    """An administrator gave `user` this password: it must be changed at the next login."""
    AccountSecurity.objects.update_or_create(user=user, defaults={"must_change_password": True})
    if request is not None:
        audit_record(
            AuditEvent.Action.PASSWORD_CHANGED,
            request=request,
            target=user,
            detail={"set_by_administrator": True},
        )


def password_change_done(*, request: HttpRequest, user) -> None:
    """`user` chose a password of their own (after PasswordChangeForm.save())."""
    AccountSecurity.objects.update_or_create(
        user=user,
        defaults={"must_change_password": False, "password_changed_at": timezone.now()},
    )
    request.session.pop(SESSION_MUST_CHANGE, None)
    audit_record(AuditEvent.Action.PASSWORD_CHANGED, request=request, user=user, target=user)


def on_login(sender, request, user, **kwargs) -> None:
    """At login: when the session started, and whether the password must first be changed (read
    here once, kept in the session, so that no page pays a query for it). Connected in
    CoreConfig.ready()."""
    if request is None or not hasattr(request, "session"):
        return
    now = time.time()  # the wall clock: a session's age is real time (see SessionLimitsMiddleware)
    request.session[SESSION_STARTED] = now
    request.session[SESSION_SEEN] = now
    if AccountSecurity.objects.filter(user=user, must_change_password=True).exists():
        request.session[SESSION_MUST_CHANGE] = True
    else:
        request.session.pop(SESSION_MUST_CHANGE, None)


# --- Middleware ------------------------------------------------------------------------------


def _surface(path: str) -> str | None:
    if path.startswith("/admin/"):
        return "admin"
    if path.startswith("/inspect/"):
        return "inspect"
    return None


class SessionLimitsMiddleware:
    """Ends a session 30 minutes after its last request or 12 hours after its login, whatever the
    cookie says (GB/T 22239 8.1.4.1 b: 登录连接超时自动退出). The request then goes on as
    anonymous: the admin and /inspect/ send it to their login page, where the message says why.
    After AuthenticationMiddleware and MessageMiddleware."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            self._check(request)
        return self.get_response(request)

    def _check(self, request) -> None:
        session = request.session
        # The wall clock, not timezone.now(): how long a person has been away is real time,
        # whatever date the services are asked to act on.
        now = dt.datetime.fromtimestamp(time.time(), tz=dt.UTC)
        started, seen = session.get(SESSION_STARTED), session.get(SESSION_SEEN)
        if started is None or seen is None:
            # A session from before these limits: its clock starts now.
            session[SESSION_STARTED] = session[SESSION_SEEN] = now.timestamp()
            return
        started = dt.datetime.fromtimestamp(started, tz=dt.UTC)
        seen = dt.datetime.fromtimestamp(seen, tz=dt.UTC)
        if now - started >= ABSOLUTE_LIMIT:
            message = ngettext(
                "登录已超过 %(n)s 小时，已自动退出，请重新登录。",
                "登录已超过 %(n)s 小时，已自动退出，请重新登录。",
                int(ABSOLUTE_LIMIT.total_seconds() // 3600),
            ) % {"n": int(ABSOLUTE_LIMIT.total_seconds() // 3600)}
        elif now - seen >= IDLE_LIMIT:
            message = _("已 %(n)s 分钟无操作，已自动退出，请重新登录。") % {
                "n": int(IDLE_LIMIT.total_seconds() // 60)
            }
        else:
            if now - seen >= ACTIVITY_GRAIN:
                session[SESSION_SEEN] = now.timestamp()
            return
        logout(request)
        messages.warning(request, message)


class PasswordChangeMiddleware:
    """An account whose password an administrator set sees nothing but the password-change page
    (and can log out) until it chose its own (GB/T 22239 8.1.4.1: 初始口令首次登录须修改).
    After AuthenticationMiddleware, MessageMiddleware and SessionLimitsMiddleware."""

    ALLOWED = {
        # The second factor comes first (its pages, and the login that leads to them): the own
        # password page is behind the admin's gate, which asks for it.
        "admin": (
            "admin:password_change",
            "admin:password_change_done",
            "admin:logout",
            "admin:login",
            "admin:second_factor",
            "admin:enrol",
        ),
        "inspect": ("inspect:password_change", "inspect:logout", "inspect:login"),
    }

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        surface = _surface(request.path_info)
        if (
            surface is not None
            and request.user.is_authenticated
            and request.session.get(SESSION_MUST_CHANGE)
        ):
            allowed = {reverse(name) for name in self.ALLOWED[surface]}
            if request.path_info not in allowed:
                message = _("这是管理员设置的初始密码，请先修改密码再继续。")
                if "application/json" in request.headers.get("Accept", ""):
                    return JsonResponse({"error": message}, status=403)
                messages.warning(request, message)
                return redirect(self.ALLOWED[surface][0])
        return self.get_response(request)
