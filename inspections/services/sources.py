"""The public randomness sources of a draw (RFC 3797 §3, N10(2), Y3.5): what may be announced and
what may be entered at the execution.

The rules of each kind — how many numbers, their ranges and repeats, the time of day they are
drawn — live in tools/verify_draw.py (SOURCE_KINDS), the file citizens download, so the server
refuses exactly what the verifier would report. Here they are applied to what a person typed, and
every problem of every source is reported at once, in the office's words.
"""

import datetime as dt
import math
import re
import unicodedata

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.exceptions import ServiceError
from tools import verify_draw as algorithm

# How each kind is read, and a conservative entropy estimate (bits) for the announcement.
SOURCE_KINDS = {
    "ssq": {
        "label": gettext_lazy("中国福利彩票“双色球”开奖号码（红球 6 个、蓝球 1 个）"),
        "bits": math.log2(math.comb(33, 6) * 16),
    },
    "dlt": {
        "label": gettext_lazy("中国体育彩票“超级大乐透”开奖号码（前区 5 个、后区 2 个）"),
        "bits": math.log2(math.comb(35, 5) * math.comb(12, 2)),
    },
    "pl5": {
        "label": gettext_lazy("中国体育彩票“排列5”开奖号码（5 位数字）"),
        "bits": math.log2(10**5),
    },
    "fc3d": {
        "label": gettext_lazy("中国福利彩票“3D”开奖号码（3 位数字）"),
        "bits": math.log2(10**3),
    },
    "index": {
        "label": gettext_lazy("股票指数收盘点位（乘以 100 取整数）"),
        "bits": math.log2(100),
    },
}
for _kind, _known in SOURCE_KINDS.items():
    # Count and drawing time from the verifier's table: one source of truth.
    _known["count"] = algorithm.kind_count(_kind)
    _known["time"] = algorithm.SOURCE_KINDS[_kind]["time"]
OTHER = "other"
SERVER = algorithm.SERVER_KIND
# The groups of tools/verify_draw.py, in the office's words (and catalogues).
GROUP_LABELS = {
    "红球": gettext_lazy("红球"),
    "蓝球": gettext_lazy("蓝球"),
    "前区号码": gettext_lazy("前区号码"),
    "后区号码": gettext_lazy("后区号码"),
    "数字": gettext_lazy("数字"),
    "收盘点位×100": gettext_lazy("收盘点位×100"),
    "随机整数": gettext_lazy("随机整数"),
}
NAME_MAX, READING_MAX, COUNT_MAX, BITS_MAX = 100, 300, 100, 1024
# An index close as published: points with exactly two decimals (3245.67), read × 100. Typed
# without decimals it is refused: "3245" could mean 3245 points or 32.45 (docs/verify-a-draw.md).
INDEX_CLOSE = re.compile(r"([0-9]{1,6})\.([0-9]{2})")
INTEGER = re.compile(r"[0-9]{1,20}")  # 20 digits hold any 64-bit value; longer is a typing error
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _shanghai(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def has_control_characters(text: str) -> bool:
    """NUL (which PostgreSQL cannot store in JSON) and the other invisible control characters;
    line breaks and tabs are text."""
    return any(unicodedata.category(c) == "Cc" and c not in "\n\r\t" for c in text)


def text_clean(value, *, what: str, max_length: int | None = None) -> str:
    """A free text the services store and publish: a string, without control characters."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ServiceError(_("%(what)s须为文字。") % {"what": what})
    if has_control_characters(value):
        raise ServiceError(
            _("%(what)s含有不可见的控制字符（如 NUL），请重新输入。") % {"what": what}
        )
    if max_length and len(value) > max_length:
        raise ServiceError(
            _("%(what)s最多 %(max)s 个字符，实际 %(n)s 个。")
            % {"what": what, "max": max_length, "n": len(value)}
        )
    return value


def source_date(source: dict, number: int) -> dt.date:
    """The date of an announced source, strictly YYYY-MM-DD: Python 3.11 also reads "20260331"
    and "2026-W14-2", which a citizen's Python 3.10 cannot."""
    text = source.get("date")
    text = text.isoformat() if isinstance(text, dt.date) else text
    if isinstance(text, str) and ISO_DATE.fullmatch(text):
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
    raise ServiceError(_("第 %(n)s 个随机源的日期须写成 YYYY-MM-DD。") % {"n": number})


def source_when(source: dict) -> tuple[dt.date, dt.datetime | None]:
    """The source's date and, when its kind has a drawing time, the moment (Beijing time) —
    as tools/verify_draw.py reads it (documents without `time` use the kind's)."""
    return algorithm.source_moment(source)


def _bits(source: dict, known: dict | None, number: int) -> float:
    if known:
        return known["bits"]
    bits = source.get("entropy_bits")
    if isinstance(bits, bool) or not isinstance(bits, int | float | str):
        bits = None
    try:
        bits = float(bits) if bits is not None else 0.0
    except ValueError:
        bits = -1.0
    if not (math.isfinite(bits) and 0 <= bits <= BITS_MAX):
        raise ServiceError(
            _("第 %(n)s 个随机源的熵估计须为 0 到 %(max)s 之间的比特数。")
            % {"n": number, "max": BITS_MAX}
        )
    return bits


def _count(source: dict, number: int) -> int | None:
    count = source.get("count")
    if count in (None, ""):
        return None
    if isinstance(count, str) and INTEGER.fullmatch(count):
        count = int(count)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= COUNT_MAX:
        raise ServiceError(
            _("第 %(n)s 个随机源的数字个数须为 1 到 %(max)s 之间的整数。")
            % {"n": number, "max": COUNT_MAX}
        )
    return count


def _timing_error(number: int, name: str, source: dict, at: dt.datetime) -> str | None:
    """Why the source is not strictly after the announcement at `at` (None: it is)."""
    day, moment = source_when(source)
    if moment is not None:
        if moment > at:
            return None
        return _(
            "第 %(n)s 个随机源（%(name)s）于 %(when)s 开奖，不晚于公告时间 %(at)s：随机源须在公告之后产生。"
        ) % {"n": number, "name": name, "when": _shanghai(moment), "at": _shanghai(at)}
    today = timezone.localdate(at)
    if day > today:
        return None
    return _(
        "第 %(n)s 个随机源（%(name)s）的日期 %(d)s 不晚于公告当日 %(today)s：没有固定开奖时间的随机源须在公告次日或以后产生。"
    ) % {"n": number, "name": name, "d": day.isoformat(), "today": today.isoformat()}


def sources_clean(sources: list[dict], *, at: dt.datetime, verifiable: bool = True) -> list[dict]:
    """The sources as announced at `at`: each strictly after the announcement — where its kind
    has a drawing time, date and time after `at`, otherwise a later day (a value known when the
    pools are frozen decides nothing, RFC 3797 §3). The drawing time is recorded (`time`). Only
    an immediate draw (`verifiable=False`) has the server's seed, exempt from timing. Every
    problem of every source is reported at once."""
    if not sources:
        raise ServiceError(_("至少要公告一个未来的公开随机源。"))
    if not isinstance(sources, list | tuple) or not all(isinstance(s, dict) for s in sources):
        raise ServiceError(_("随机源的格式有误。"))
    errors, cleaned, names = [], [], set()
    for number, source in enumerate(sources, start=1):
        try:
            entry = _source_clean(source, number, at=at, verifiable=verifiable)
        except ServiceError as exc:
            errors.append(str(exc))
            continue
        if entry["name"] in names:
            errors.append(_("同一随机源不能公告两次。"))
        names.add(entry["name"])
        cleaned.append(entry)
    if errors:
        raise ServiceError("\n".join(errors))
    return cleaned


def _source_clean(source: dict, number: int, *, at: dt.datetime, verifiable: bool) -> dict:
    kind = source.get("kind") or OTHER
    name = text_clean(
        source.get("name"), what=_("第 %(n)s 个随机源的名称") % {"n": number}, max_length=NAME_MAX
    ).strip()
    if not name or not source.get("date"):
        raise ServiceError(_("第 %(n)s 个随机源须写明名称和日期。") % {"n": number})
    if kind not in SOURCE_KINDS and kind not in (OTHER, SERVER):
        raise ServiceError(
            _("第 %(n)s 个随机源（%(name)s）的类型“%(kind)s”未知。")
            % {"n": number, "name": name, "kind": str(kind)[:20]}
        )
    if (kind == SERVER) == verifiable:
        # The server's seed is the immediate draw's, which says it is not verifiable (§6).
        raise ServiceError(
            _("第 %(n)s 个随机源（%(name)s）：服务器生成的随机数只能用于当场抽取。")
            if verifiable
            else _("当场抽取只能使用服务器生成的随机数。")
        )
    day = source_date(source, number)
    known = SOURCE_KINDS.get(kind)
    entry = {"name": name, "kind": kind, "date": day.isoformat()}
    if known:
        entry["time"] = known["time"]
    if kind != SERVER:
        problem = _timing_error(number, name, entry, at)
        if problem:
            raise ServiceError(problem)
    reading = text_clean(
        source.get("reading"),
        what=_("第 %(n)s 个随机源的读数方法") % {"n": number},
        max_length=READING_MAX,
    ).strip()
    entry["reading"] = reading or (str(known["label"]) if known else "")
    entry["count"] = known["count"] if known else _count(source, number)
    if kind == SERVER:
        entry["count"] = algorithm.kind_count(SERVER)
    entry["entropy_bits"] = round(_bits(source, known, number), 1)
    return entry


# -- the values entered at the execution ------------------------------------------------------
# A Chinese input method in full-width mode types ０–９, ．and the ideographic space: read them as
# the ASCII ones. Nothing else is normalised: NFKC would also turn "3²" into "32".
FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: ord(" ")}


def _tokens(raw) -> list | None:
    """The items of one source as typed ("3 9 14") or sent ([3, 9, 14]); None when it is
    neither. Any digit other than ASCII and full-width ones (٣, ²) stays what it is: refused."""
    if isinstance(raw, str):
        return raw.translate(FULL_WIDTH).split()
    if isinstance(raw, int) and not isinstance(raw, bool):
        return [raw]
    if isinstance(raw, list | tuple):
        return [i.translate(FULL_WIDTH) if isinstance(i, str) else i for i in raw]
    return None


def _number(item, kind: str) -> int | None:
    """One value as stored: a non-negative integer; for an index close, typed with its two
    decimals (3245.67 → 324567) or given as the stored integer by a program (the document's
    form). None when it is anything else (int() alone would read 1.5 and True as 1)."""
    if isinstance(item, bool):
        return None
    if isinstance(item, int):
        return item if item >= 0 else None
    if not isinstance(item, str):
        return None
    item = item.strip()
    if kind == "index":
        match = INDEX_CLOSE.fullmatch(item)
        return int(match[1] + match[2]) if match else None
    return int(item) if INTEGER.fullmatch(item) else None


def _value_error(number: int, name: str, kind: str, item) -> str:
    shown = str(item)[:30]
    if kind == "index":
        return _(
            "第 %(n)s 个随机源（%(name)s）是股票指数收盘点位，须按公布的点位填写两位小数（如 3245.67）：“%(v)s”不是。"
        ) % {"n": number, "name": name, "v": shown}
    return _("第 %(n)s 个随机源（%(name)s）只能填写非负整数，以空格分隔：“%(v)s”不是。") % {
        "n": number,
        "name": name,
        "v": shown,
    }


def _rule_error(number: int, name: str, problem: algorithm.Problem) -> str:
    params = {"n": number, "name": name, **problem.params}
    if problem.code == "count":
        return _(
            "第 %(n)s 个随机源（%(name)s）应有 %(expected)s 个数，实际填写了 %(actual)s 个。"
        ) % (params)
    group = problem.params.get("group")
    if group is not None:
        params.update(group=GROUP_LABELS.get(group.zh, group.zh), low=group.low, high=group.high)
    if problem.code == "range":
        return (
            _(
                "第 %(n)s 个随机源（%(name)s）的第 %(position)s 个数 %(value)s 超出%(group)s的范围 %(low)s–%(high)s。"
            )
            % params
        )
    if problem.code == "repeat":
        return (
            _(
                "第 %(n)s 个随机源（%(name)s）的%(group)s中 %(value)s 出现了 %(times)s 次，%(group)s应互不相同。"
            )
            % params
        )
    return _("第 %(n)s 个随机源（%(name)s）只能填写非负整数，以空格分隔。") % params


def values_clean(sources: list[dict], values, *, at: dt.datetime) -> list[list[int]]:
    """The values of the announced `sources`, entered at `at`: none before its source is drawn
    (a value entered before its source exists can only be made up), each as its kind's rules
    say (tools/verify_draw.py). Every problem of every source is reported at once; the message
    ends with the earliest moment the draw may run."""
    if not isinstance(values, list | tuple) or len(values) != len(sources):
        raise ServiceError(_("须按公告顺序填写全部 %(n)s 个随机源的取值。") % {"n": len(sources)})
    errors, cleaned, waiting = [], [], []
    for number, (source, raw) in enumerate(zip(sources, values, strict=True), start=1):
        name, kind = source["name"], source.get("kind")
        if kind != SERVER:
            day, moment = source_when(source)
            if (moment is not None and at < moment) or (
                moment is None and timezone.localdate(at) < day
            ):
                when = _shanghai(moment) if moment else day.isoformat()
                errors.append(
                    _("第 %(n)s 个随机源（%(name)s）于 %(when)s 开奖，尚未产生。")
                    % {"n": number, "name": name, "when": when}
                )
                start = dt.datetime.combine(day, dt.time(), tzinfo=algorithm.BEIJING)
                waiting.append((moment or start, when, moment is not None))
        items = _tokens(raw)
        numbers = [_number(item, kind) for item in items] if items else []
        bad = [item for item, n in zip(items or [], numbers, strict=True) if n is None]
        if items is None or not items or bad:
            errors.append(_value_error(number, name, kind, bad[0] if bad else ""))
            continue
        problems = algorithm.values_problems(kind, numbers, source.get("count"))
        errors += [_rule_error(number, name, p) for p in problems]
        cleaned.append(numbers)
    if waiting:
        _latest, when, timed = max(waiting)
        if timed:
            errors.append(_("最早可于 %(when)s 之后执行。") % {"when": when})
        else:
            errors.append(_("最早可于 %(when)s 当日执行。") % {"when": when})
    if errors:
        raise ServiceError("\n".join(errors))
    return cleaned


def draw_timing_problems(*, sources: list[dict], draw) -> list[dict]:
    """The sources of `draw` not drawn strictly after its announcement, or after its execution
    (tools/verify_draw.py's rule), for the pages: they say so instead of vouching for the draw.
    Draws announced before the rule (issue 12 §4) can be such."""
    if draw.announced_at is None:  # a draw not stored yet
        return []
    try:
        problems = algorithm.timing_problems(
            sources, draw.announced_at, draw.executed_at if draw.is_executed else None
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        return []  # a malformed announcement says nothing about its timing
    return [
        {
            "code": p.code,
            "number": p.params["number"],
            "name": p.params["name"],
            "when": _shanghai(p.params["moment"])
            if p.params["moment"]
            else p.params["date"].isoformat(),
        }
        for p in problems
        if p.code in ("before_announcement", "before_source")
    ]
