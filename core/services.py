"""Working-day arithmetic and calendar maintenance (SPEC §6).

"Within N working days after D" means by the N-th working day strictly after D; a holiday D does not
shift the count. A computation that touches a year without a complete calendar raises
CalendarMissing instead of guessing.
"""

import csv
import datetime as dt
import io
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import CalendarMissing, ServiceError
from core.models import CalendarDay, CalendarYear
from core.spreadsheets import cell_excerpt

# chinese-calendar names its holidays in English; the calendar shows Chinese.
HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


class WorkdayCalendar:
    """Loads the overrides of the years it is asked about, once, and answers day by day."""

    def __init__(self) -> None:
        self._years: dict[int, dict[dt.date, str]] = {}

    def _year(self, year: int) -> dict[dt.date, str]:
        if year not in self._years:
            if not CalendarYear.objects.filter(year=year, complete=True).exists():
                raise CalendarMissing(year)
            days = CalendarDay.objects.filter(date__year=year).values_list("date", "kind")
            self._years[year] = dict(days)
        return self._years[year]

    def is_workday(self, day: dt.date) -> bool:
        kind = self._year(day.year).get(day)
        if kind is not None:
            return kind == CalendarDay.Kind.WORKDAY
        return day.weekday() < 5


def workdays_add(*, start: dt.date, days: int, calendar: WorkdayCalendar | None = None) -> dt.date:
    """The `days`-th working day strictly after `start` (`days` ≥ 1)."""
    if days < 1:
        raise ServiceError(_("工作日数必须至少为 1。"))
    calendar = calendar or WorkdayCalendar()
    day, counted = start, 0
    while counted < days:
        day += dt.timedelta(days=1)
        if calendar.is_workday(day):
            counted += 1
    return day


def workdays_between(
    *, start: dt.date, end: dt.date, calendar: WorkdayCalendar | None = None
) -> int:
    """Working days d with start < d ≤ end (negative when end is before start)."""
    if end < start:
        return -workdays_between(start=end, end=start, calendar=calendar)
    calendar = calendar or WorkdayCalendar()
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        count += calendar.is_workday(day)
    return count


def workdays_before(*, end: dt.date, days: int, calendar: WorkdayCalendar | None = None) -> dt.date:
    """The latest date P with at least `days` working days in (P, end]: publishing on P or earlier
    leaves `days` working days before `end` (Y3.4: a plan revision 10 working days ahead)."""
    if days < 1:
        raise ServiceError(_("工作日数必须至少为 1。"))
    calendar = calendar or WorkdayCalendar()
    day, counted = end, 0
    while counted < days:
        counted += calendar.is_workday(day)
        day -= dt.timedelta(days=1)
    return day


@transaction.atomic
def calendar_seed(*, years: Iterable[int] | None = None) -> list[int]:
    """Copy the holidays and adjusted working days that chinese-calendar knows into the table and
    mark those years complete. Existing rows are updated, staff-entered years are left alone.
    Returns the years actually seeded."""
    from chinese_calendar import constants

    known = {d.year for d in constants.holidays} & {d.year for d in constants.workdays}
    unknown = sorted(set(years or ()) - known)
    if unknown:
        raise ServiceError(
            _("chinese-calendar 不包含 %(years)s 年的节假日安排，请通过导入 CSV 或后台录入。")
            % {"years": ", ".join(map(str, unknown))}
        )
    wanted = sorted(known if years is None else set(years))
    seeded = []
    for year in wanted:
        if CalendarYear.objects.filter(year=year, source=CalendarYear.Source.STAFF).exists():
            continue
        seeded.append(year)
        entries = [(d, CalendarDay.Kind.HOLIDAY, n) for d, n in constants.holidays.items()]
        entries += [(d, CalendarDay.Kind.WORKDAY, n) for d, n in constants.workdays.items()]
        for day, kind, name in entries:
            if day.year != year:
                continue
            # chinese-calendar lists holiday weekends too; store them, they are harmless and named.
            CalendarDay.objects.update_or_create(
                date=day, defaults={"kind": kind, "name": HOLIDAY_NAMES_ZH.get(name, name)}
            )
        CalendarYear.objects.update_or_create(
            year=year,
            defaults={"complete": True, "source": CalendarYear.Source.SEEDED},
        )
    return seeded


KIND_ALIASES = {
    "holiday": CalendarDay.Kind.HOLIDAY,
    "休": CalendarDay.Kind.HOLIDAY,
    "休息": CalendarDay.Kind.HOLIDAY,
    "节假日": CalendarDay.Kind.HOLIDAY,
    "workday": CalendarDay.Kind.WORKDAY,
    "班": CalendarDay.Kind.WORKDAY,
    "上班": CalendarDay.Kind.WORKDAY,
    "调休上班": CalendarDay.Kind.WORKDAY,
}


# Excel on a Chinese-locale Windows rewrites 2027-01-01 as 2027/1/1 when it saves a CSV.
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d")


def _parse_day(value: str) -> dt.date | None:
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


# A year's schedule is a few dozen rows; a century's fits in a few hundred kB. More is no
# calendar, and csv would make millions of strings of it (20 MB of commas: a gigabyte).
CALENDAR_MAX_BYTES = 2**20


def calendar_size_check(size: int) -> None:
    """Refuses a calendar file over CALENDAR_MAX_BYTES, before it is read where possible."""
    if size > CALENDAR_MAX_BYTES:
        raise ServiceError(
            _("工作日历文件超过 %(mb)s MB 的上限（一年的安排只有几十行）。")
            % {"mb": CALENDAR_MAX_BYTES // 2**20}
        )


def _csv_rows(content: bytes) -> list[list[str]]:
    calendar_size_check(len(content))
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ServiceError(_("文件不是 UTF-8 编码的 CSV 文件。")) from exc
    if "\x00" in text:
        raise ServiceError(_("文件包含空字符（NUL），不是 CSV 文本文件。"))
    # newline="" lets the csv module handle \r\n, \n and a lone \r alike.
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        return list(reader)
    except csv.Error as exc:  # its messages are English: say what they mean
        raise ServiceError(
            _(
                "第 %(row)s 行：无法解析 CSV（单元格超过 %(limit)s 个字符，或有不成对的英文双引号）。"
            )
            % {"row": reader.line_num, "limit": csv.field_size_limit()}
        ) from exc


def _check_row(number: int, cells: list[str], seen: dict[dt.date, int]) -> list[str]:
    """Every problem of one data row, field by field (an empty list when it is good)."""
    errors = []
    day = _parse_day(cells[0])
    if day is None:
        errors.append(
            _("第 %(row)s 行，date：“%(value)s”不是 YYYY-MM-DD 格式的日期。")
            % {"row": number, "value": cell_excerpt(cells[0])}
        )
    elif day in seen:
        errors.append(
            _("第 %(row)s 行，date：%(day)s 与第 %(first)s 行重复。")
            % {"row": number, "day": day, "first": seen[day]}
        )
    if KIND_ALIASES.get(cells[1].lower()) is None:
        errors.append(
            _("第 %(row)s 行，kind：“%(value)s”应为 holiday 或 workday。")
            % {"row": number, "value": cell_excerpt(cells[1])}
        )
    max_length = CalendarDay._meta.get_field("name").max_length
    if len(cells[2]) > max_length:
        errors.append(
            _("第 %(row)s 行，name：名称长 %(length)s 个字符，最多 %(max)s 个字符。")
            % {"row": number, "length": len(cells[2]), "max": max_length}
        )
    return errors


def calendar_import_csv(
    *, content: bytes, complete_years: bool = False, user=None, dry_run: bool = False
) -> dict:
    """Import `date,kind,name` rows (the header is row 1). All or nothing: every problem of every
    row is reported and nothing is written."""
    rows = _csv_rows(content)
    if not rows:
        raise ServiceError(_("文件为空。"))
    header = [h.strip().lower() for h in rows[0]]
    if header[:2] != ["date", "kind"] or header[2:3] not in ([], ["name"]):
        raise ServiceError(
            _("第 1 行应为表头 date,kind,name，实际为“%(header)s”。")
            % {"header": cell_excerpt(",".join(rows[0]), 100)}
        )
    errors, parsed, seen = [], {}, {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = [c.strip() for c in row] + ["", ""]
        row_errors = _check_row(number, cells, seen)
        day = _parse_day(cells[0])
        if day is not None:
            seen.setdefault(day, number)
        if row_errors:
            errors += row_errors
            continue
        parsed[day] = (KIND_ALIASES[cells[1].lower()], cells[2])
    if errors:
        raise ServiceError("\n".join(errors))
    if not parsed:
        raise ServiceError(_("文件中没有数据行。"))
    years = sorted({d.year for d in parsed})
    if not dry_run:
        with transaction.atomic():
            for day, (kind, name) in parsed.items():
                CalendarDay.objects.update_or_create(
                    date=day, defaults={"kind": kind, "name": name}
                )
            if complete_years:
                for year in years:
                    calendar_year_mark_complete(year=year, user=user)
    return {"rows": len(parsed), "years": years}


def calendar_year_mark_complete(*, year: int, user=None, note: str = "") -> CalendarYear:
    """Record that staff have entered the whole schedule of `year`, so it may be used for
    deadlines. An empty `note` keeps the note the year already has."""
    defaults = {
        "complete": True,
        "source": CalendarYear.Source.STAFF,
        "marked_by": user,
        "marked_at": timezone.now(),
    }
    if note:
        defaults["note"] = note
    obj, _created = CalendarYear.objects.update_or_create(year=year, defaults=defaults)
    return obj
