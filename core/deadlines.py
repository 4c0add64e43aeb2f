"""Deadlines in working days (SPEC §2, §5, §6): opened by the event that starts an obligation,
met by the event that fulfils it. The sweep that reminds and escalates is below them."""

import datetime as dt

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from core.exceptions import CalendarMissing
from core.models import Deadline
from core.services import workdays_add


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


@transaction.atomic
def deadline_meet(*, kind: str, subject: models.Model, at: dt.datetime | None = None) -> None:
    """Record that the obligation is fulfilled (once: the first time stands). Late when after the
    due day (Asia/Shanghai); the missed time, if the sweep recorded one, is kept."""
    at = at or timezone.now()
    deadlines = Deadline.objects.select_for_update().filter(
        kind=kind,
        subject_type=ContentType.objects.get_for_model(subject),
        subject_id=subject.pk,
        met_at__isnull=True,
    )
    for deadline in deadlines:
        deadline.met_at = at
        deadline.save(update_fields=["met_at"])
