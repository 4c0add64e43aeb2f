"""Parsers for one spreadsheet cell; each raises CellError with a reason in Chinese."""

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _

from core.spreadsheets import cell_excerpt as _shown


class CellError(Exception):
    pass


DATE_PATTERNS = [
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]
LIST_SPLIT = re.compile(r"[、,，;；/\s]+")


def parse_text(value: str, max_length: int | None = None) -> str:
    if max_length and len(value) > max_length:
        raise CellError(_("超过 %(n)s 个字符") % {"n": max_length})
    return value


def parse_date(value: str) -> dt.date | None:
    if not value:
        return None
    value = value.split(" ")[0]
    for pattern in DATE_PATTERNS:
        match = pattern.match(value)
        if match:
            try:
                return dt.date(*(int(g) for g in match.groups()))
            except ValueError:
                break
    raise CellError(_("“%(v)s”不是有效日期（例如 2026-03-01）") % {"v": _shown(value)})


# The largest value of a PositiveIntegerField; PostgreSQL refuses more with an overflow error.
INT_MAX = 2**31 - 1


def parse_int(value: str, *, minimum: int = 0, maximum: int = INT_MAX) -> int | None:
    if not value:
        return None
    digits = re.search(r"\d+", value)
    if not digits or re.search(r"[^\d\s次/年每]", value.replace(digits.group(), "", 1)):
        raise CellError(_("“%(v)s”不是整数") % {"v": _shown(value)})
    if len(digits.group().lstrip("0")) > len(str(maximum)):
        # int() refuses more than 4300 digits; anything this long is too large anyway.
        raise CellError(_("不能大于 %(n)s") % {"n": maximum})
    number = int(digits.group())
    if number < minimum:
        raise CellError(_("不能小于 %(n)s") % {"n": minimum})
    if number > maximum:
        raise CellError(_("不能大于 %(n)s") % {"n": maximum})
    return number


PERCENT_PLACES = Decimal("0.01")  # CheckItem.default_ratio: two decimal places


def parse_percent(value: str) -> Decimal:
    """'5%', '5' and '5.5 %' are percentages (0–100), kept to two decimal places as stored (so
    that importing the same file again changes nothing)."""
    text = value.replace("％", "%").replace("%", "").strip()
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise CellError(_("“%(v)s”不是百分比（例如 5%%）") % {"v": _shown(value)}) from exc
    if not number.is_finite():  # NaN, sNaN, Infinity: Decimal reads them, comparisons refuse NaN
        raise CellError(_("“%(v)s”不是百分比（例如 5%%）") % {"v": _shown(value)})
    if not Decimal(0) <= number <= Decimal(100):
        raise CellError(_("比例应在 0%% 到 100%% 之间") % {})  # `% {}` turns %% into %
    return number.quantize(PERCENT_PLACES, rounding=ROUND_HALF_UP)


def parse_bool(value: str) -> bool:
    if value in ("是", "Y", "y", "yes", "true", "1", "√", "重点"):
        return True
    if value in ("", "否", "N", "n", "no", "false", "0", "一般"):
        return False
    raise CellError(_("“%(v)s”应为“是”或“否”") % {"v": _shown(value)})


def parse_choice(value: str, choices: dict[str, str], label: str) -> str:
    """`choices` maps accepted texts (labels and aliases) to stored values."""
    if value in choices:
        return choices[value]
    accepted = "、".join(dict.fromkeys(choices))
    raise CellError(
        _("“%(v)s”不是有效的%(label)s，可选：%(accepted)s")
        % {"v": _shown(value), "label": label, "accepted": accepted}
    )


def parse_multi(value: str, choices: dict[str, str], label: str) -> list[str]:
    parts = [p for p in LIST_SPLIT.split(value) if p]
    if not parts:
        raise CellError(_("至少填写一项%(label)s") % {"label": label})
    return list(dict.fromkeys(parse_choice(p, choices, label) for p in parts))
