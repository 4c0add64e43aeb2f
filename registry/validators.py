"""Identifiers of SPEC §7: the unified social credit code (GB 32100-2015), the resident identity
number (GB 11643-1999) and the administrative division code (GB/T 2260)."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# GB 32100-2015: the alphabet leaves out I, O, S, V and Z.
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECK = "10X98765432"
# \Z, not $: "$" also matches before a trailing newline ("500103\n").
DIVISION_RE = re.compile(r"^[1-9]\d{5}\Z")
# What a credit code looks like (its check character aside): lookups of anything else are skipped.
CREDIT_CODE_SHAPE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}\Z")


def credit_code_check_char(first17: str) -> str:
    total = sum(CREDIT_ALPHABET.index(c) * w for c, w in zip(first17, CREDIT_WEIGHTS, strict=True))
    return CREDIT_ALPHABET[(31 - total % 31) % 31]


def credit_code_error(value: str) -> str | None:
    """The reason `value` is not a valid unified social credit code, or None."""
    if len(value) != 18:
        return _("统一社会信用代码应为 18 位，实为 %(n)s 位。") % {"n": len(value)}
    bad = sorted({c for c in value if c not in CREDIT_ALPHABET})
    if bad:
        return _(
            "统一社会信用代码含有不允许的字符：%(chars)s（不使用 I、O、S、V、Z 及小写字母）。"
        ) % {"chars": "".join(bad)}
    if not DIVISION_RE.match(value[2:8]):
        return _("统一社会信用代码第 3–8 位应为行政区划代码。")
    expected = credit_code_check_char(value[:17])
    if value[17] != expected:
        return _("统一社会信用代码校验位错误：第 18 位应为 %(expected)s。") % {"expected": expected}
    return None


def validate_credit_code(value: str) -> None:
    error = credit_code_error(value)
    if error:
        raise ValidationError(error, code="credit_code")


def id_number_check_char(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11]


def id_number_error(value: str) -> str | None:
    """The reason `value` is not a valid 18-character resident identity number, or None."""
    # isascii(): isdigit() is also true of "²" (which int() refuses) and of full-width digits.
    if (
        len(value) != 18
        or not value.isascii()
        or not value[:17].isdigit()
        or not (value[17].isdigit() or value[17] == "X")
    ):
        return _("身份证号应为 18 位：前 17 位为数字，最后一位为数字或 X。")
    expected = id_number_check_char(value[:17])
    if value[17] != expected:
        return _("身份证号校验位错误。")
    return None


def validate_id_number(value: str) -> None:
    error = id_number_error(value)
    if error:
        raise ValidationError(error, code="id_number")


def validate_division_code(value: str) -> None:
    if not DIVISION_RE.match(value or ""):
        raise ValidationError(_("行政区划代码应为 6 位数字（GB/T 2260）。"), code="division_code")


def mask_id_number(value: str) -> str:
    """Personal data: lists show only the first 6 and last 4 characters."""
    if not value:
        return ""
    return value[:6] + "*" * (len(value) - 10) + value[-4:] if len(value) > 10 else "*" * len(value)


def mask_phone(value: str) -> str:
    if not value:
        return ""
    return value[:3] + "****" + value[-4:] if len(value) >= 11 else "*" * len(value)
