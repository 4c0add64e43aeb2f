"""Reads of the deadlines shown to the office: the deadline board (期限看板, issue 4 §4)."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import CalendarMissing
from core.models import Deadline
from core.services import WorkdayCalendar, workdays_add, workdays_between

SOON_WORKDAYS = 5  # "due soon": within the next 5 working days
MET_LATE_SHOWN_DAYS = 30  # deadlines met late stay on the board for a month


class State:
    OVERDUE = "overdue"
    SOON = "soon"
    UNKNOWN = "unknown"  # no due day: the calendar of its year is missing (SPEC §6)
    MET_LATE = "met_late"


STATE_ORDER = [State.OVERDUE, State.SOON, State.UNKNOWN, State.MET_LATE]


@dataclass
class BoardRow:
    deadline: Deadline
    state: str
    workdays: int | None  # left when due soon, past the due day when overdue or met late
    subject_label: str
    subject_url: str

    @property
    def url(self) -> str:
        return self.deadline.url or self.subject_url


@dataclass
class BoardGroup:
    key: object
    label: str
    url: str = ""
    rows: list[BoardRow] = field(default_factory=list)

    @property
    def overdue(self) -> int:
        return sum(row.state == State.OVERDUE for row in self.rows)


@dataclass
class Board:
    today: dt.date
    horizon: dt.date
    rows: list[BoardRow]
    group_by: str

    def count(self, state: str) -> int:
        return sum(row.state == state for row in self.rows)

    @property
    def groups(self) -> list[BoardGroup]:
        groups: dict[object, BoardGroup] = {}
        for row in self.rows:
            deadline = row.deadline
            if self.group_by == "subject":
                key = (deadline.subject_type_id, deadline.subject_id)
                label, url = row.subject_label, row.subject_url
            else:
                key = deadline.responsible_id
                person = deadline.responsible
                label = (person.get_full_name() or person.username) if person else _("未指定责任人")
                url = ""
            groups.setdefault(key, BoardGroup(key=key, label=label, url=url)).rows.append(row)
        # Most overdue first, then by name.
        return sorted(groups.values(), key=lambda g: (-g.overdue, g.label))


def _subject_url(deadline: Deadline) -> str:
    content_type = deadline.subject_type
    try:
        return reverse(
            f"admin:{content_type.app_label}_{content_type.model}_change",
            args=[deadline.subject_id],
        )
    except NoReverseMatch:
        return ""


def _subject_label(deadline: Deadline) -> str:
    # The callers of deadline_open title a deadline "<subject>：<what is due>": the part before
    # the colon names the subject without loading it (no query per row).
    label, colon, _rest = deadline.title.partition("：")
    return label if colon else deadline.title


def _row(deadline: Deadline, today: dt.date, calendar: WorkdayCalendar) -> BoardRow:
    due = deadline.due_on
    if deadline.met_at is not None:
        state, start, end = State.MET_LATE, due, timezone.localdate(deadline.met_at)
    elif due is None:
        state, start, end = State.UNKNOWN, None, None
    elif due < today:
        state, start, end = State.OVERDUE, due, today
    else:
        state, start, end = State.SOON, today, due
    days = None
    if start is not None:
        try:
            days = workdays_between(start=start, end=end, calendar=calendar)
        except CalendarMissing:
            days = None
    return BoardRow(
        deadline=deadline,
        state=state,
        workdays=days,
        subject_label=_subject_label(deadline),
        subject_url=_subject_url(deadline),
    )


def deadline_board(
    *, today: dt.date | None = None, responsible=None, group_by: str = "responsible"
) -> Board:
    """Open deadlines overdue or due within the next 5 working days, those without a due day yet,
    and those met late in the last 30 days; optionally only `responsible`'s."""
    today = today or timezone.localdate()
    calendar = WorkdayCalendar()
    try:
        horizon = workdays_add(start=today, days=SOON_WORKDAYS, calendar=calendar)
    except CalendarMissing:
        horizon = today + dt.timedelta(days=7)  # a working week, as near as can be told
    recent = timezone.now() - dt.timedelta(days=MET_LATE_SHOWN_DAYS)
    wanted = Q(met_at__isnull=True) & (Q(due_on__lte=horizon) | Q(due_on__isnull=True))
    wanted |= Q(met_at__gte=recent, missed_at__isnull=False)
    deadlines = Deadline.objects.filter(wanted).select_related("responsible", "subject_type")
    if responsible is not None:
        deadlines = deadlines.filter(responsible=responsible)
    rows = [_row(d, today, calendar) for d in deadlines.order_by("due_on", "pk")]
    rows.sort(key=lambda r: (STATE_ORDER.index(r.state), r.deadline.due_on or today, r.deadline.pk))
    return Board(
        today=today,
        horizon=horizon,
        rows=rows,
        group_by="subject" if group_by == "subject" else "responsible",
    )
