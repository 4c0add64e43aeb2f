"""Deadlines in working days (SPEC §2, §5, §6): opened by the event that starts an obligation,
met by the event that fulfils it. The daily sweep below reminds and escalates.

Each reminder goes out at most once (issue 4 §4): the sweep inserts the Reminder row (unique per
deadline and kind) in its transaction and enqueues the sending only on commit; the sending locks
the row and does nothing once `sent_at` is set. A sweep that is repeated, runs concurrently or dies
half-way therefore never sends twice, and a row whose sending was lost is sent by the next sweep.

Its e-mail goes through the outbox (core.mail, issue 12 §8): the in-app notifications and the
outbox row are committed together with `sent_at`, before the mail server is contacted, so a worker
killed at any moment neither loses the e-mail nor sends it twice.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import roles
from core.exceptions import CalendarMissing
from core.mail import email_cancel, email_queue, email_send
from core.models import Deadline, Notification, OutboxEmail, Reminder
from core.queue import enqueue_on_commit
from core.services import WorkdayCalendar, workdays_add, workdays_between

BEFORE_WORKDAYS = 2  # issue 4 §4: a reminder 2 working days before the due day
# An e-mail still pending this long after its last attempt has lost its retries (a task dropped):
# the sweep hands it to the sending again. Sooner, its own retry is still on its way.
EMAIL_RETRY_LOST_AFTER = dt.timedelta(hours=1)


@transaction.atomic
def deadline_open(
    *,
    kind: str,
    subject: models.Model,
    starts_on: dt.date,
    title: str,
    rule: str,
    responsible=None,
    workdays: int | None = None,
    due_on: dt.date | None = None,
    url: str = "",
) -> Deadline:
    """The deadline of `kind` for `subject`, due `workdays` working days after `starts_on` (SPEC
    §6: by the N-th working day strictly after it) or on `due_on`. Opening it again (the event
    repeated) returns the existing one unchanged. When the working-day calendar of the year
    needed is missing, the due day stays empty (shown as such) until the calendar is there."""
    if due_on is None:
        try:
            due_on = workdays_add(start=starts_on, days=workdays)
        except CalendarMissing:
            due_on = None
    deadline, _created = Deadline.objects.get_or_create(
        kind=kind,
        subject_type=ContentType.objects.get_for_model(subject),
        subject_id=subject.pk,
        defaults={
            "starts_on": starts_on,
            "due_on": due_on,
            "workdays": workdays,
            "title": title,
            "rule": rule,
            "responsible": responsible,
            "url": url,
        },
    )
    return deadline


def missed_moment(due_on: dt.date) -> dt.datetime:
    """The instant a deadline is missed: the end of its due day in Asia/Shanghai."""
    day_after = dt.datetime.combine(due_on + dt.timedelta(days=1), dt.time.min)
    return timezone.make_aware(day_after, timezone.get_default_timezone())


@transaction.atomic
def deadline_meet(*, kind: str, subject: models.Model, at: dt.datetime | None = None) -> None:
    """Record that the obligation is fulfilled (once: the first time stands). Met after the due
    day (Asia/Shanghai) it is met late: `missed_at` says when it was missed, if the sweep has not
    recorded that already."""
    at = at or timezone.now()
    deadlines = Deadline.objects.select_for_update().filter(
        kind=kind,
        subject_type=ContentType.objects.get_for_model(subject),
        subject_id=subject.pk,
        met_at__isnull=True,
    )
    for deadline in deadlines:
        deadline.met_at = at
        fields = ["met_at"]
        if deadline.missed_at is None and deadline.due_on and at >= missed_moment(deadline.due_on):
            deadline.missed_at = missed_moment(deadline.due_on)
            fields.append("missed_at")
        deadline.save(update_fields=fields)


# The sweep -------------------------------------------------------------------------------------


@dataclass
class SweepResult:
    today: dt.date
    open: int = 0
    due_computed: int = 0
    calendar_missing: set[int] = field(default_factory=set)  # years still without a calendar
    reminders_created: int = 0  # an overlapping sweep may count rows the other one inserted
    missed: int = 0
    to_send: list[int] = field(default_factory=list)  # reminder ids handed to the sending


def reminder_kinds_due(*, due_on: dt.date, today: dt.date, calendar: WorkdayCalendar) -> list[str]:
    """The reminders a deadline due on `due_on` should have had by `today`. The due-day reminder
    is still owed after the due day (a sweep that did not run that day catches up); the one before
    is not: once the due day has come it would say something false."""
    if today > due_on:
        return [Reminder.Kind.DUE, Reminder.Kind.OVERDUE]
    if today == due_on:
        return [Reminder.Kind.DUE]
    try:
        left = workdays_between(start=today, end=due_on, calendar=calendar)
    except CalendarMissing:
        return []  # cannot tell "2 working days before" without the calendar (SPEC §6)
    return [Reminder.Kind.BEFORE] if left <= BEFORE_WORKDAYS else []


def _compute_missing_due_days(deadlines: list[Deadline], calendar, result: SweepResult) -> None:
    computed = []
    for deadline in deadlines:
        if deadline.due_on is not None or not deadline.workdays:
            continue
        try:
            deadline.due_on = workdays_add(
                start=deadline.starts_on, days=deadline.workdays, calendar=calendar
            )
        except CalendarMissing as exc:
            result.calendar_missing.add(exc.year)
            continue
        computed.append(deadline)
    Deadline.objects.bulk_update(computed, ["due_on"])
    result.due_computed = len(computed)


def _send_on_commit(reminder_id: int) -> None:
    enqueue_on_commit("core.reminder_send_task", reminder_id)


@transaction.atomic
def deadline_sweep(*, today: dt.date | None = None, enqueue: bool = True) -> SweepResult:
    """For every open deadline: compute a due day the calendar now allows, create the reminders
    owed by `today` (before, due, overdue) and record when it was missed. The sending of every
    owed reminder not yet sent is enqueued after commit (or, with `enqueue=False`, left to the
    caller: `to_send`). Safe to run twice or concurrently: the rows are unique, the sending
    idempotent."""
    today = today or timezone.localdate()
    result = SweepResult(today=today)
    calendar = WorkdayCalendar()
    deadlines = list(
        Deadline.objects.filter(met_at__isnull=True).only(
            "pk", "starts_on", "workdays", "due_on", "missed_at"
        )
    )
    result.open = len(deadlines)
    _compute_missing_due_days(deadlines, calendar, result)

    owed = {
        (deadline.pk, kind)
        for deadline in deadlines
        if deadline.due_on is not None
        for kind in reminder_kinds_due(due_on=deadline.due_on, today=today, calendar=calendar)
    }
    existing = set(
        Reminder.objects.filter(deadline_id__in={pk for pk, _kind in owed}).values_list(
            "deadline_id", "kind"
        )
    )
    missing = sorted(owed - existing)
    # ON CONFLICT DO NOTHING on (deadline, kind): a concurrent sweep's row wins, never a second.
    Reminder.objects.bulk_create(
        [Reminder(deadline_id=pk, kind=kind) for pk, kind in missing], ignore_conflicts=True
    )
    result.reminders_created = len(missing)

    overdue_days = {d.due_on for d in deadlines if d.due_on is not None and d.due_on < today}
    for due_on in sorted(overdue_days):
        # Set once; a deadline met meanwhile is not marked (met_at is checked in the UPDATE).
        result.missed += Deadline.objects.filter(
            due_on=due_on, missed_at__isnull=True, met_at__isnull=True
        ).update(missed_at=missed_moment(due_on))

    # Not sent yet, or sent but its e-mail still waiting (never tried, or its retries lost).
    email_waiting = Q(email__status=OutboxEmail.Status.PENDING) & (
        Q(email__attempted_at__isnull=True)
        | Q(email__attempted_at__lt=timezone.now() - EMAIL_RETRY_LOST_AFTER)
    )
    unsent = (
        Reminder.objects.filter(deadline_id__in={pk for pk, _kind in owed})
        .filter(Q(sent_at__isnull=True) | email_waiting)
        .values_list("pk", "deadline_id", "kind")
    )
    result.to_send = sorted(pk for pk, deadline_id, kind in unsent if (deadline_id, kind) in owed)
    if enqueue:
        for reminder_id in result.to_send:
            _send_on_commit(reminder_id)
    return result


# Sending ---------------------------------------------------------------------------------------


def leaders_in_charge() -> list:
    """Escalations go to the leader(s) in charge (分管领导)."""
    return list(
        get_user_model()
        .objects.filter(groups__name=roles.LEADER, is_active=True)
        .order_by("pk")
        .distinct()
    )


def person_name(user) -> str:
    return user.get_full_name() or user.get_username()


def reminder_recipients(reminder: Reminder) -> list:
    """The responsible person; for an escalation also the leaders in charge. A deadline without
    a responsible person goes to the leaders in charge, so somebody is told."""
    deadline = reminder.deadline
    people = [deadline.responsible] if deadline.responsible else []
    if reminder.kind == Reminder.Kind.OVERDUE or not people:
        people += [u for u in leaders_in_charge() if u not in people]
    return people


def reminder_message(reminder: Reminder) -> tuple[str, str]:
    """Subject and text of the reminder, the same in the e-mail and the in-app notification."""
    deadline = reminder.deadline
    values = {
        "title": deadline.title,
        "due": deadline.due_on,
        "rule": deadline.rule,
        "who": person_name(deadline.responsible) if deadline.responsible else _("（未指定）"),
    }
    if reminder.kind == Reminder.Kind.BEFORE:
        subject = _("【期限提醒】%(title)s，%(due)s 到期") % values
        lead = _("距截止日期 %(due)s 已不足 2 个工作日，请及时办理。") % values
    elif reminder.kind == Reminder.Kind.DUE:
        subject = _("【今日到期】%(title)s") % values
        lead = _("今天（%(due)s）是截止日期，请今日内办理完毕。") % values
    else:
        subject = _("【逾期】%(title)s，截止日期 %(due)s 已过") % values
        lead = (
            _("该事项已超过截止日期 %(due)s 仍未办结，责任人：%(who)s。现报告分管领导。") % values
        )
    lines = [lead, _("事项：%(title)s") % values, _("依据：%(rule)s") % values]
    if deadline.url:
        # Absolute in an e-mail (SITE_URL); a path when the site's address is not configured.
        url = deadline.url
        if url.startswith("/") and settings.SITE_URL:
            url = settings.SITE_URL.rstrip("/") + url
        lines.append(_("办理地址：%(url)s") % {"url": url})
    return subject, "\n".join(lines)


def reminder_send(*, reminder_id: int) -> bool:
    """Send one reminder: the in-app notifications and the e-mail's outbox row, with `sent_at`, in
    one transaction; then the e-mail (core.mail.email_send). Call it outside any transaction. Safe
    to run again at any point: a reminder already sent only has its e-mail carried on, as its
    outbox row says; one whose deadline has been met meanwhile is left alone (an e-mail not yet
    handed over is withdrawn). Returns whether the reminder was sent now. Raises EmailDeferred
    when the mail server cannot take the e-mail now (the task retries)."""
    sent_now, email_id = _reminder_issue(reminder_id=reminder_id)
    if email_id is not None:
        email_send(email_id=email_id)
    return sent_now


@transaction.atomic
def _reminder_issue(*, reminder_id: int) -> tuple[bool, int | None]:
    """(sent now, the outbox e-mail still to send) — the reminder row locked."""
    reminder = (
        Reminder.objects.select_for_update(of=("self",))
        .select_related("deadline__responsible")
        .filter(pk=reminder_id)
        .first()
    )
    if reminder is None:
        return False, None
    met = reminder.deadline.met_at is not None
    if reminder.sent_at is not None:
        email = OutboxEmail.objects.filter(reminder=reminder).first()
        if email is None or email.status not in (
            OutboxEmail.Status.PENDING,
            OutboxEmail.Status.SENDING,
        ):
            return False, None
        if met and email_cancel(email_id=email.pk, reason=_("办理期限已完成，不再发送提醒邮件。")):
            return False, None
        return False, email.pk
    if met:
        return False, None
    people = reminder_recipients(reminder)
    with translation.override(settings.LANGUAGE_CODE):
        subject, body = reminder_message(reminder)
    Notification.objects.bulk_create(
        [
            Notification(
                user=person, reminder=reminder, title=subject, body=body, url=reminder.deadline.url
            )
            for person in people
        ],
        ignore_conflicts=True,
    )
    addresses = [person.email for person in people if person.email]
    email = None
    if addresses:
        email = email_queue(
            to=addresses,
            subject=subject,
            body=body,
            key=f"reminder-{reminder.pk}-{reminder.kind}",
            reminder=reminder,
        )
    reminder.recipients = [
        {"id": person.pk, "name": person_name(person), "email": person.email} for person in people
    ]
    reminder.sent_at = timezone.now()
    reminder.save(update_fields=["recipients", "sent_at"])
    return True, email.pk if email else None


def notifications_mark_read(*, user, ids: list[int] | None = None) -> int:
    """Mark the user's unread notifications (all, or those in `ids`) as read; returns how many."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())
