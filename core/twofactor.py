"""The staff's second factor (issue 14 §1, GB/T 22239-2019 8.1.4.1 c: two or more authentication
techniques for administrators): a TOTP authenticator (django-otp's `otp_totp`) and ten one-time
recovery codes (its `otp_static`). The admin site (core.adminsite) asks for it after the password.

django-otp throttles each device: after a wrong code the next attempt waits 1 s, then 2, 4, 8 …
(OTP_TOTP_THROTTLE_FACTOR, OTP_STATIC_THROTTLE_FACTOR); a right code resets it.
"""

import re
from base64 import b32encode
from binascii import unhexlify

import segno
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.audit import audit_record
from core.exceptions import ServiceError
from core.models import AuditEvent

RECOVERY_CODE_COUNT = 10
TOTP_CODE = re.compile(r"^\d{6}$")
# Who may reset another account's second factor: deleting its authenticator is the reset.
RESET_PERMISSION = "otp_totp.delete_totpdevice"


class CodeRefused(ServiceError):
    """A code that is wrong, or an attempt too soon after wrong ones (django-otp's throttling)."""


def has_confirmed_totp(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def totp_enrolment_device(user) -> TOTPDevice:
    """The user's authenticator being enrolled: the same unconfirmed one until it is confirmed
    (reloading the page shows the same QR code)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=_("身份验证器"), confirmed=False)
    return device


def totp_secret(device: TOTPDevice) -> str:
    """The key as an authenticator app wants it typed in: base32, in groups of four."""
    secret = b32encode(unhexlify(device.key)).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def totp_qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// address as an inline SVG (no script, no style attribute, no network)."""
    qr = segno.make(device.config_url, error="m")
    return qr.svg_inline(scale=5, border=2, dark="#000", light="#fff", omitsize=False)


def _check_throttle(device) -> None:
    allowed, data = device.verify_is_allowed()
    if not allowed:
        raise CodeRefused(
            _("错误次数过多，请稍候再试（%(count)s 次错误）。")
            % {"count": data.get("failure_count", "")},
            code="throttled",
        )


def _failed(request, kind: str, stage: str, reason: str) -> None:
    """A refused code, in the audit trail (outside the verification's transaction, which keeps
    django-otp's count of failures)."""
    audit_record(
        AuditEvent.Action.OTP_FAILED,
        request=request,
        target=request.user,
        outcome=AuditEvent.Outcome.REFUSED if reason == "throttled" else AuditEvent.Outcome.FAILURE,
        detail={"stage": stage, "kind": kind, "reason": reason},
    )


def totp_enrol_confirm(*, request, device: TOTPDevice, code: str) -> list[str]:
    """Confirm the authenticator with a code it shows; the session counts as verified, and the
    recovery codes are issued (shown once). Raises CodeRefused."""
    try:
        with transaction.atomic():
            device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=request.user)
            _check_throttle(device)
            verified = device.verify_token(code.strip())  # counts a failure (throttling)
    except CodeRefused as refused:
        _failed(request, "totp", "enrol", refused.code)
        raise
    if not verified:
        _failed(request, "totp", "enrol", "wrong_code")
        raise CodeRefused(_("验证码不正确，请核对手机上的时间后重试。"), code="wrong_code")
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        # Any other authenticator of the user (an abandoned enrolment) goes.
        TOTPDevice.objects.filter(user=request.user).exclude(pk=device.pk).delete()
        otp_login(request, device)
        audit_record(AuditEvent.Action.OTP_ENROLLED, request=request, target=request.user)
        return recovery_codes_issue(user=request.user, request=request)


@transaction.atomic
def recovery_codes_issue(*, user, request=None) -> list[str]:
    """Ten new one-time recovery codes; the old ones stop working."""
    device, _created = StaticDevice.objects.get_or_create(
        user=user, defaults={"name": _("恢复码"), "confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _i in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    audit_record(
        AuditEvent.Action.OTP_RECOVERY_ISSUED,
        request=request,
        target=user,
        detail={"count": len(codes)},
    )
    return codes


def second_factor_verify(*, request, code: str):
    """Check a TOTP code (six digits) or a recovery code against the user's devices; on success
    the session is verified and the device returned. Raises CodeRefused."""
    code = code.strip().replace(" ", "").lower()
    kind = TOTPDevice if TOTP_CODE.match(code) else StaticDevice
    label = "totp" if kind is TOTPDevice else "recovery"
    try:
        with transaction.atomic():
            devices = [
                d for d in devices_for_user(request.user, for_verify=True) if type(d) is kind
            ]
            for device in devices:
                _check_throttle(device)
            for device in devices:
                if device.verify_token(code):
                    otp_login(request, device)
                    if kind is StaticDevice:
                        audit_record(
                            AuditEvent.Action.OTP_RECOVERY_USED,
                            request=request,
                            target=request.user,
                            detail={"left": recovery_codes_left(request.user)},
                        )
                    return device
    except CodeRefused as refused:
        _failed(request, label, "login", refused.code)
        raise
    # Outside the transaction: the audit entry and django-otp's count of failures stay.
    _failed(request, label, "login", "wrong_code")
    raise CodeRefused(_("验证码不正确。"), code="wrong_code")


@transaction.atomic
def second_factor_reset(*, user, request=None) -> bool:
    """Delete the user's authenticators and recovery codes: at the next login they enrol again,
    and a session verified with a deleted device is no longer verified. Whether any was there."""
    totp, _by_model = TOTPDevice.objects.filter(user=user).delete()
    static, _by_model = StaticDevice.objects.filter(user=user).delete()
    if totp or static:
        audit_record(AuditEvent.Action.OTP_RESET, request=request, target=user)
    return bool(totp or static)


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user).count()
