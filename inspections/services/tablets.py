"""Binding the bureau's tablets to the field screens (issue 14 §1; why: docs/security.md
身份鉴别): the inspectors' second factor is the tablet — something the bureau hands out and can
stop — with their password.

- `tablet_register` (the office, in the admin): a tablet and its one-time binding code (shown
  once, valid BINDING_CODE_MINUTES), `tablet_new_code` for a tablet whose cookie was lost.
- `tablet_bind` (on the tablet, /inspect/tablet/): the code for a 256-bit token, which the view
  puts in a signed, HttpOnly cookie; only its SHA-256 is stored.
- `tablet_of_request`: the bound tablet a request comes from, or None; the login refuses None.
"""

import datetime
import hashlib
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.exceptions import ServiceError
from core.models import AuditEvent
from inspections.models import Tablet

COOKIE = "inspect_tablet"
COOKIE_SALT = "inspections.tablet"
COOKIE_MAX_AGE = 5 * 365 * 24 * 3600  # until the office stops the tablet
BINDING_CODE_MINUTES = 30
# No 0/O, 1/I/L: read aloud or off a screen and typed on a tablet.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _normalized(code: str) -> str:
    return "".join(code.split()).replace("-", "").upper()


def _new_code(tablet: Tablet) -> str:
    code = "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))
    tablet.binding_code_hash = _digest(code)
    tablet.binding_code_expires = timezone.now() + datetime.timedelta(minutes=BINDING_CODE_MINUTES)
    return f"{code[:5]}-{code[5:]}"


@transaction.atomic
def tablet_register(*, name: str, by, request=None) -> tuple[Tablet, str]:
    """A new tablet and its binding code (shown once)."""
    tablet = Tablet(name=name, registered_by=by)
    code = _new_code(tablet)
    tablet.save()
    audit_record(AuditEvent.Action.TABLET_REGISTERED, request=request, user=by, target=tablet)
    return tablet, code


@transaction.atomic
def tablet_new_code(*, tablet: Tablet, by, request=None) -> str:
    """A new binding code; the tablet's present token stops working (a lost cookie, a reset
    tablet, a tablet given to another office)."""
    tablet = Tablet.objects.select_for_update().get(pk=tablet.pk)
    if tablet.revoked_at:
        raise ServiceError(_("该平板已停用，不能再绑定。"), code="revoked")
    code = _new_code(tablet)
    tablet.token_hash = ""
    tablet.bound_at = None
    tablet.save()
    audit_record(
        AuditEvent.Action.TABLET_REGISTERED,
        request=request,
        user=by,
        target=tablet,
        detail={"new_code": True},
    )
    return code


@transaction.atomic
def tablet_revoke(*, tablet: Tablet, by, request=None) -> None:
    """Stop a tablet (lost, stolen, retired): its token and code no longer work."""
    Tablet.objects.filter(pk=tablet.pk).update(
        revoked_at=timezone.now(), token_hash="", binding_code_hash=""
    )
    audit_record(AuditEvent.Action.TABLET_REVOKED, request=request, user=by, target=tablet)


def tablet_bind(*, code: str, request=None) -> tuple[Tablet, str]:
    """The tablet whose binding code this is, and its new token (for the cookie). The code works
    once and only until it expires; raises ServiceError otherwise."""
    with transaction.atomic():
        tablet = (
            Tablet.objects.select_for_update()
            .filter(
                binding_code_hash=_digest(_normalized(code)),
                binding_code_expires__gt=timezone.now(),
                revoked_at__isnull=True,
            )
            .first()
        )
        if tablet is not None:
            token = secrets.token_urlsafe(32)
            tablet.token_hash = _digest(token)
            tablet.binding_code_hash = ""
            tablet.binding_code_expires = None
            tablet.bound_at = timezone.now()
            tablet.save()
            audit_record(AuditEvent.Action.TABLET_BOUND, request=request, target=tablet)
            return tablet, token
    audit_record(
        AuditEvent.Action.TABLET_BOUND,
        request=request,
        outcome=AuditEvent.Outcome.REFUSED,
        detail={"reason": "wrong_or_expired_code"},
    )
    raise ServiceError(
        _("绑定码不正确或已过期。请在后台“执法平板”中为本平板生成新的绑定码。"),
        code="wrong_code",
    )


def tablet_of_request(request) -> Tablet | None:
    """The bound tablet the request comes from (its signed cookie), or None."""
    token = request.get_signed_cookie(COOKIE, default=None, salt=COOKIE_SALT)
    if not token:
        return None
    return Tablet.objects.filter(token_hash=_digest(token), revoked_at__isnull=True).first()


def tablet_logged_in(tablet: Tablet) -> None:
    Tablet.objects.filter(pk=tablet.pk).update(last_login_at=timezone.now())
