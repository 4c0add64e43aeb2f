"""Signatures on the check record (Y3.3, N11: at least two inspectors; Y3.5: the target's
representative), drawn on the tablet.

An inspector's signature counts only when that inspector confirmed it: signed in their own session,
or — two inspectors on one tablet, the common case in the field — by typing their own login
password or signing PIN (签名密码) on the device. A logged-in inspector can therefore not sign for
a colleague. Each signature keeps how it was confirmed, which account was logged in on the device,
the device, the browser and the address (Y4(2): who did what, when, traceable).

Wrong credentials are counted per signer and lock their signing for LOCK_MINUTES after
MAX_FAILURES in a row; the count is committed even though the signature is refused.
"""

import base64
import binascii
import datetime as dt
import hashlib
import io
import uuid
from dataclasses import dataclass

from django.contrib.auth.hashers import check_password, make_password
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from core import identity
from core.exceptions import ServiceError
from inspections.models import CheckRecord, Signature, SigningPin
from inspections.services.records.lifecycle import _draft_locked
from registry.models import Inspector

MAX_SIGNATURE_BYTES = 2 * 1024 * 1024
MAX_FAILURES = 5
LOCK_MINUTES = 30
PIN_MIN, PIN_MAX = 6, 12
Confirmation = Signature.Confirmation


@dataclass(frozen=True)
class Device:
    """Where a signature was captured: the tablet's device id (a long-lived cookie of /inspect/),
    its browser and its address."""

    id: str = ""
    user_agent: str = ""
    ip_address: str | None = None


# --- The signing PIN ---------------------------------------------------------------------------


def _pin_problem(pin: str) -> str | None:
    if not isinstance(pin, str) or not pin.isascii() or not pin.isdigit():
        return _("签名密码只能由数字组成。")
    if not PIN_MIN <= len(pin) <= PIN_MAX:
        return _("签名密码须为 %(min)s 至 %(max)s 位数字。") % {"min": PIN_MIN, "max": PIN_MAX}
    digits = [int(c) for c in pin]
    steps = {b - a for a, b in zip(digits, digits[1:], strict=False)}
    if len(set(digits)) == 1 or steps in ({1}, {-1}):
        return _("签名密码过于简单（相同或连续的数字），请换一个。")
    return None


@transaction.atomic
def signing_pin_set(*, user, password: str, pin: str, pin_again: str) -> SigningPin:
    """Set or change one's own signing PIN, confirmed with the login password."""
    if not Inspector.objects.filter(user=user).exists():
        raise ServiceError(_("只有执法检查人员可以设置签名密码。"), code="not_inspector")
    if not user.check_password(password or ""):
        raise ServiceError(_("登录密码不正确，签名密码未修改。"), code="password")
    problem = _pin_problem(pin)
    if problem:
        raise ServiceError(problem, code="pin_weak")
    if pin != pin_again:
        raise ServiceError(_("两次输入的签名密码不一致。"), code="pin_mismatch")
    if user.check_password(pin):
        raise ServiceError(_("签名密码不能与登录密码相同。"), code="pin_weak")
    row, _created = SigningPin.objects.select_for_update().get_or_create(user=user)
    row.pin, row.set_at = make_password(pin), timezone.now()
    row.failures, row.locked_until = 0, None
    row.save()
    return row


def _confirm(*, signer: Inspector, credential: str) -> str:
    """Check a colleague's credential typed on the tablet: their signing PIN or their login
    password. Returns how it was confirmed; raises (after committing the failure) otherwise."""
    who = signer.name
    if not credential:
        raise ServiceError(
            _("%(name)s 的签名须由本人确认：请 %(name)s 本人输入签名密码（PIN）或登录密码。")
            % {"name": who},
            code="signature_credential",
        )
    account = signer.user
    if account is None or not account.is_active:
        raise ServiceError(
            _("%(name)s 没有可用的登录账号，不能在本设备确认签名。") % {"name": who},
            code="signature_credential",
        )
    with transaction.atomic():
        row, _created = SigningPin.objects.select_for_update().get_or_create(user=account)
        now = timezone.now()
        if row.locked_until and row.locked_until > now:
            raise ServiceError(
                _("%(name)s 的签名密码连续输错 %(n)s 次，已锁定至 %(until)s。")
                % {
                    "name": who,
                    "n": MAX_FAILURES,
                    "until": timezone.localtime(row.locked_until).strftime("%H:%M"),
                },
                code="signature_locked",
            )
        method = None
        # The login password is the login's: while the account is locked out of logging in
        # (core.identity), it confirms no signature either, or the tablet would be a way round
        # the lock; the signing PIN still does.
        login_locked = identity.lockout_until(username=account.get_username(), ip_address=None)
        if row.pin and check_password(credential, row.pin):
            method = Confirmation.PIN
        elif login_locked is None and account.check_password(credential):
            method = Confirmation.PASSWORD
        if method is None:
            row.failures += 1
            if row.failures >= MAX_FAILURES:
                row.failures, row.locked_until = 0, now + dt.timedelta(minutes=LOCK_MINUTES)
            row.save(update_fields=["failures", "locked_until"])
        elif row.failures:
            row.failures = 0
            row.save(update_fields=["failures"])
    if method is None and login_locked is not None:
        raise ServiceError(
            _(
                "%(name)s 的账号登录已锁定至 %(until)s，登录密码暂不能确认签名；"
                "请输入签名密码（PIN），或联系安全管理员解锁。"
            )
            % {"name": who, "until": timezone.localtime(login_locked).strftime("%H:%M")},
            code="signature_locked",
        )
    if method is None:
        raise ServiceError(
            _("%(name)s 的签名密码或登录密码不正确，签名未保存。") % {"name": who},
            code="signature_credential",
        )
    return method


# --- Signatures --------------------------------------------------------------------------------


def _signature_png(data_url: str, who: str) -> bytes:
    """The PNG of a canvas (`data:image/png;base64,…`), checked and re-encoded; refuses an empty
    pad."""
    prefix = "data:image/png;base64,"
    if not isinstance(data_url, str) or not data_url.startswith(prefix):
        raise ServiceError(
            _("%(who)s的签名不是 PNG 图像，未保存。") % {"who": who}, code="signature"
        )
    if len(data_url) > MAX_SIGNATURE_BYTES * 4 // 3 + len(prefix) + 4:
        raise ServiceError(_("%(who)s的签名图像过大，未保存。") % {"who": who}, code="signature")
    try:
        raw = base64.b64decode(data_url[len(prefix) :], validate=True)
        with Image.open(io.BytesIO(raw)) as image:
            if image.format != "PNG" or image.width * image.height > 4_000_000:
                raise ValueError
            pad = image.convert("RGBA")
    except (
        binascii.Error,
        ValueError,
        OSError,
        UnidentifiedImageError,
        Image.DecompressionBombError,
    ):
        raise ServiceError(
            _("%(who)s的签名图像无法识别，未保存。") % {"who": who}, code="signature"
        ) from None
    if pad.getchannel("A").getbbox() is None:
        raise ServiceError(
            _("%(who)s的签名是空白的，请在签名框内签名后再确认。") % {"who": who},
            code="signature_empty",
        )
    out = io.BytesIO()
    pad.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _inspector_signer(record: CheckRecord, inspector: Inspector | None) -> Inspector:
    if inspector is None or not record.inspection.members.filter(inspector=inspector).exists():
        raise ServiceError(_("签名人不是这次检查的检查组成员，不能签名。"), code="signature_member")
    if record.signatures.filter(role=Signature.Role.INSPECTOR, inspector=inspector).exists():
        raise ServiceError(
            _("%(name)s 已经签过名。") % {"name": inspector.name}, code="signature_twice"
        )
    return inspector


def _representative_name(record: CheckRecord) -> str:
    if record.representative_refused:
        raise ServiceError(
            _("记录中已注明到场人员拒绝签字；如其愿意签字，请先取消该选项。"),
            code="signature_refused",
        )
    name = record.representative_name.strip()
    if not name:
        raise ServiceError(
            _("请先填写被检查对象到场人员的姓名，再请其签名。"), code="signature_name"
        )
    if record.signatures.filter(role=Signature.Role.REPRESENTATIVE).exists():
        raise ServiceError(_("到场人员已经签过名。"), code="signature_twice")
    return name


def signature_add(
    *,
    record: CheckRecord,
    user,
    role: str,
    data_url: str,
    inspector: Inspector | None = None,
    credential: str = "",
    device: Device | None = None,
) -> Signature:
    """A signature drawn on the tablet by `user`'s session: an inspector of the team, once each,
    confirmed by that inspector (Y3.3, N11) — their own session, or `credential` (their signing
    PIN or login password) typed on the device — or the target's representative, once, under the
    name written in the record (Y3.5)."""
    if role not in Signature.Role.values:
        raise ServiceError(_("未知的签名人身份：%(r)s") % {"r": role}, code="signature")
    with transaction.atomic():  # the checks that need no credential come first
        checked = _draft_locked(record, user)
        if role == Signature.Role.INSPECTOR:
            name = _inspector_signer(checked, inspector).name
        else:
            name = _representative_name(checked)
    png = _signature_png(data_url, name)  # a blank pad costs no credential attempt
    if role == Signature.Role.INSPECTOR and inspector.user_id != user.pk:
        confirmed_by = _confirm(signer=inspector, credential=credential)
    elif role == Signature.Role.INSPECTOR:
        confirmed_by = Confirmation.SESSION
    else:
        confirmed_by = Confirmation.CAPTURED
    return _signature_store(
        record=record,
        user=user,
        role=role,
        png=png,
        inspector=inspector if role == Signature.Role.INSPECTOR else None,
        confirmed_by=confirmed_by,
        device=device or Device(),
    )


@transaction.atomic
def _signature_store(
    *, record, user, role, png: bytes, inspector, confirmed_by, device: Device
) -> Signature:
    record = _draft_locked(record, user)  # again, under the lock: nothing changed meanwhile
    if role == Signature.Role.INSPECTOR:
        name = _inspector_signer(record, inspector).name
    else:
        name = _representative_name(record)
    signature = Signature(
        record=record,
        role=role,
        inspector=inspector,
        name=name,
        sha256=hashlib.sha256(png).hexdigest(),
        signed_at=timezone.now(),
        confirmed_by=confirmed_by,
        captured_by=user,
        device=(device.id or "")[:64],
        user_agent=(device.user_agent or "")[:300],
        ip_address=device.ip_address or None,
    )
    signature.image.save(f"{uuid.uuid4().hex}.png", ContentFile(png), save=False)
    signature.save()
    return signature


@transaction.atomic
def signature_remove(*, signature: Signature, user) -> None:
    """Take back a signature from a draft (a pad signed by the wrong person)."""
    _draft_locked(signature.record, user)
    storage, name = signature.image.storage, signature.image.name
    signature.delete()
    transaction.on_commit(lambda: storage.delete(name))
