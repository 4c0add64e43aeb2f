"""Background jobs of the deadlines; thin wrappers that take ids and call one service each.

Late acknowledgement (CELERY_TASK_ACKS_LATE, reject on worker lost) redelivers a job whose worker
died; every job is safe to run again (core.deadlines, core.mail)."""

import datetime as dt

from celery import shared_task
from django.db import InterfaceError, OperationalError

from core.deadlines import deadline_sweep, reminder_send
from core.exceptions import EmailDeferred
from core.mail import MAX_ATTEMPTS, email_send

# The longest wait before a retry. A task waiting for its retry sits unacknowledged in the worker,
# so this must stay below the broker's visibility timeout, or Redis hands it out a second time
# (docs/deployment.md §13.1; tests/test_celery_settings.py checks every task).
RETRY_BACKOFF_MAX = 600

# The mail server down or refusing for a while; the database unreachable. The outbox row says what
# happened, so a retry never sends twice (core.mail). 60 s doubling up to 10 min: 8 attempts in
# about 45 minutes, then the e-mail is marked failed.
EMAIL_RETRY = {
    "autoretry_for": (EmailDeferred, OperationalError, InterfaceError),
    "retry_backoff": 60,
    "retry_backoff_max": RETRY_BACKOFF_MAX,
    "retry_jitter": False,
    "max_retries": MAX_ATTEMPTS,
}


@shared_task(name="core.deadline_sweep_task")
def deadline_sweep_task(today: str | None = None) -> dict:
    """Every morning at 08:30 Asia/Shanghai (beat) and on demand. `today` (YYYY-MM-DD) replays
    the sweep of another day."""
    day = dt.date.fromisoformat(today) if today else None
    result = deadline_sweep(today=day)
    return {
        "today": result.today.isoformat(),
        "open": result.open,
        "reminders_created": result.reminders_created,
        "to_send": len(result.to_send),
        "missed": result.missed,
    }


@shared_task(name="core.reminder_send_task", **EMAIL_RETRY)
def reminder_send_task(reminder_id: int) -> bool:
    return reminder_send(reminder_id=reminder_id)


@shared_task(name="core.email_send_task", **EMAIL_RETRY)
def email_send_task(email_id: int) -> str:
    """One e-mail of the outbox (a resend decided by staff, core.admin)."""
    return email_send(email_id=email_id)
