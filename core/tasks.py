"""Background jobs of the deadlines; thin wrappers that take ids and call one service each.

Late acknowledgement (CELERY_TASK_ACKS_LATE, reject on worker lost) redelivers a job whose worker
died; both jobs are safe to run again (core.deadlines)."""

import datetime as dt
import smtplib

from celery import shared_task

from core.deadlines import deadline_sweep, reminder_send


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


@shared_task(
    name="core.reminder_send_task",
    # A mail server that is down or refuses for a while: retried, the row still unsent.
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=60,
    retry_backoff_max=3600,
    max_retries=8,
)
def reminder_send_task(reminder_id: int) -> bool:
    return reminder_send(reminder_id=reminder_id)
