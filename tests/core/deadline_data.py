"""Deadlines as the tests make and watch them (SPEC §2, §5, §6): a task ending on a day, the report
deadline the draw's execution opens for it, the sweep run as beat runs it, and the subjects of the
e-mails it sent."""

import datetime as dt
import io
from email.header import decode_header, make_header

from django.core import mail
from django.core.management import call_command

from core.deadlines import deadline_open
from core.models import Deadline
from inspections.models import InspectionTask
from tests.factories import sector


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def task_ending(
    ends_on: dt.date, name: str = "2026 年律师行业第 2 批双随机抽查", *, days: int = 20
) -> InspectionTask:
    """A task of `days` days up to `ends_on`."""
    # A special inspection (专项检查) needs no plan round: the deadlines are the same (N13).
    return InspectionTask.objects.create(
        kind=InspectionTask.Kind.SPECIAL,
        name=name,
        sector=sector("lawyer"),
        starts_on=ends_on - dt.timedelta(days=days),
        ends_on=ends_on,
    )


def report_deadline(
    task: InspectionTask,
    responsible=None,
    *,
    kind: str = Deadline.Kind.REPORT,
    what: str = "完成抽查报告",
    url: str = "/admin/inspections/inspectiontask/1/change/",
) -> Deadline:
    """As inspections_open opens it when the draw is executed (N13)."""
    return deadline_open(
        kind=kind,
        subject=task,
        starts_on=task.ends_on,
        workdays=5,
        title=f"{task}：{what}",
        rule="N13：检查结束后 5 个工作日内完成抽查报告",
        responsible=responsible,
        url=url,
    )


def sweep(on: str) -> str:
    out = io.StringIO()
    call_command("deadlines_sweep", "--date", on, "--send-now", stdout=out, stderr=out)
    return out.getvalue()


def subjects() -> list[str]:
    return [str(make_header(decode_header(m.subject))) for m in mail.outbox]


def labels() -> list[str]:
    """The bracketed label each e-mail's subject starts with: 【期限提醒】, 【今日到期】, 【逾期】."""
    return [s[: s.index("】") + 1] for s in subjects()]
