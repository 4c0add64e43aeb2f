"""The outbox (issue 12 §8): every e-mail is recorded before it is sent, and the sending goes in
steps that each commit, so that whatever kills a worker, a retry knows what happened and nothing is
sent twice.

1. The row is written, *pending*, in the transaction of whatever wants the e-mail sent (a
   reminder: together with its in-app notifications, core.deadlines).
2. The connection to the mail server is opened (greeting, STARTTLS, login). Nothing has been handed
   over yet: a failure here, or a worker killed here, leaves the row pending and a retry sends it.
3. The row becomes *sending*, committed: from now on the server may get the message.
4. Under the row's lock, MAIL FROM, RCPT TO, DATA; on the server's 250 the row becomes *sent* in
   the same transaction. If instead
   - the server refuses it (an SMTP error answer) or the connection is lost before DATA began,
     nothing was accepted: back to *pending* and retried later (EmailDeferred), or *failed* on a
     permanent (5xx) refusal or the last attempt;
   - the connection is lost or times out while the message is transmitted or its answer awaited,
     the server may have accepted it: *unknown*.
5. A retry that finds the row *sending* with its lock free knows the attempt died between 3 and
   the end of 4 (its database connection, and with it the lock, is gone): *unknown* too.

The rule for *unknown* (docs/deployment.md §8.1): never sent again automatically. A reminder's
in-app notification exists regardless; staff look the Message-ID up in the relay's log and confirm
the delivery or send it again — with the same Message-ID, so that if it had arrived after all the
copy is recognisable (clients that de-duplicate by Message-ID drop it).

SQLite (the quick start) has no row locks: there a second attempt running at the same moment as a
live one takes it for dead and marks it *unknown* — never a second copy.
"""

import logging
import smtplib
from contextlib import nullcontext
from dataclasses import dataclass
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _

from core.exceptions import EmailDeferred, ServiceError
from core.models import OutboxEmail

logger = logging.getLogger(__name__)
Status = OutboxEmail.Status

# With the task's backoff (60 s doubling, at most 10 min): about an hour of a relay being down.
MAX_ATTEMPTS = 8


def message_id_make(key: str) -> str:
    """`<key.random@domain-of-DEFAULT_FROM_EMAIL>`: says what the e-mail is for, unique anyway (a
    second installation, or a database restored from a backup, numbers its reminders again)."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    token = get_random_string(10, allowed_chars="abcdefghijklmnopqrstuvwxyz0123456789")
    return f"<{key}.{token}@{domain}>"


def email_queue(*, to: list[str], subject: str, body: str, key: str, reminder=None) -> OutboxEmail:
    """Record an e-mail to send, in the caller's transaction; `email_send` sends it after commit.
    `key` names what it is for (e.g. `reminder-42-due`) and starts its Message-ID."""
    return OutboxEmail.objects.create(
        reminder=reminder,
        message_id=message_id_make(key),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=list(to),
        subject=subject,
        body=body,
    )


def email_message(email: OutboxEmail) -> EmailMessage:
    """The message as it goes out, every time the same (a resend included)."""
    return EmailMessage(
        subject=email.subject,
        body=email.body,
        from_email=email.from_email,
        to=email.to,
        headers={"Message-ID": email.message_id},
    )


def email_send(*, email_id: int) -> str:
    """Send one e-mail of the outbox; safe to call again at any moment, by anyone (see the module's
    docstring). Returns the status it leaves ("" for a row that no longer exists). Raises
    EmailDeferred when the server could not take it now: the caller retries later."""
    email = OutboxEmail.objects.filter(pk=email_id).first()
    if email is None:
        return ""
    if email.status == Status.SENDING:
        return _settle_interrupted(email_id)
    if email.status != Status.PENDING:
        return email.status
    mailer = get_connection(fail_silently=False)
    try:
        mailer.open()
    except Exception as exc:  # whatever the backend raises: nothing was handed over
        with transaction.atomic():
            email = OutboxEmail.objects.select_for_update().get(pk=email_id)
            if email.status != Status.PENDING:
                return email.status
            email.attempts += 1
            email.attempted_at = timezone.now()
            status = _refused(email, exc)
        return _deferred_or(status, email, exc)
    try:
        attempt = _claim(email_id)
        if attempt is None:  # another attempt took it meanwhile
            return OutboxEmail.objects.get(pk=email_id).status
        return _converse(email_id, attempt, mailer)
    finally:
        _close(mailer)


@transaction.atomic
def _claim(email_id: int) -> int | None:
    """Step 3: pending → sending, committed before the message is handed over."""
    email = (
        OutboxEmail.objects.select_for_update(skip_locked=True)
        .filter(pk=email_id, status=Status.PENDING)
        .first()
    )
    if email is None:
        return None
    email.status = Status.SENDING
    email.attempts += 1
    email.attempted_at = timezone.now()
    email.save(update_fields=["status", "attempts", "attempted_at"])
    return email.attempts


@dataclass
class _Progress:
    """How far the SMTP conversation got: whether DATA began (smtplib connections only)."""

    watched: bool = False
    data_started: bool = False


def _watch(mailer) -> _Progress:
    progress = _Progress()
    smtp = getattr(mailer, "connection", None)
    if isinstance(smtp, smtplib.SMTP):
        progress.watched = True
        data = smtp.data

        def watched_data(msg):
            progress.data_started = True
            return data(msg)

        smtp.data = watched_data
    return progress


def _converse(email_id: int, attempt: int, mailer) -> str:
    """Step 4, under the row's lock: a retry that finds the row locked knows this attempt is alive.
    SQLite has no row locks, and the transaction is not held open there: it would block every other
    writer of the database for the length of the conversation."""
    progress = _watch(mailer)
    locks = transaction.get_connection().features.has_select_for_update
    rows = OutboxEmail.objects.select_for_update() if locks else OutboxEmail.objects.all()
    with transaction.atomic() if locks else nullcontext():
        email = rows.filter(pk=email_id, status=Status.SENDING, attempts=attempt).first()
        if email is None:  # taken for dead and marked unknown by another attempt (SQLite)
            return OutboxEmail.objects.get(pk=email_id).status
        try:
            mailer.send_messages([email_message(email)])
        except Exception as exc:
            if not (
                isinstance(exc, smtplib.SMTPDataError)
                or (progress.watched and not progress.data_started)
            ):
                return _unknown(email, exc)
            # The server said no, or DATA never began: nothing was accepted.
            refusal, status = exc, _refused(email, exc)
        else:
            email.status, email.sent_at, email.last_error = Status.SENT, timezone.now(), ""
            email.save(update_fields=["status", "sent_at", "last_error"])
            return Status.SENT
    return _deferred_or(status, email, refusal)


def _unknown(email: OutboxEmail, exc: Exception) -> str:
    email.status = Status.UNKNOWN
    email.last_error = _describe(exc)
    email.save(update_fields=["status", "last_error"])
    logger.warning(
        "e-mail %s: outcome unknown (%s); not resent", email.message_id, email.last_error
    )
    return Status.UNKNOWN


def _refused(email: OutboxEmail, exc: Exception) -> str:
    """Not taken by the server: pending again, or failed after MAX_ATTEMPTS or on a permanent
    (5xx) refusal. Saves the locked row."""
    email.last_error = _describe(exc)
    final = email.attempts >= MAX_ATTEMPTS or _permanent(exc)
    email.status = Status.FAILED if final else Status.PENDING
    email.save(update_fields=["status", "attempts", "attempted_at", "last_error"])
    return email.status


def _deferred_or(status: str, email: OutboxEmail, exc: Exception) -> str:
    if status == Status.FAILED:
        logger.error("e-mail %s failed: %s", email.message_id, email.last_error)
        return status
    raise EmailDeferred(
        _("邮件服务器暂时无法接收邮件（第 %(n)s 次尝试）：%(error)s")
        % {"n": email.attempts, "error": email.last_error}
    ) from exc


@transaction.atomic
def _settle_interrupted(email_id: int) -> str:
    """Step 5: a row left *sending* whose lock is free was being handed over when its attempt
    died; the server may have accepted it."""
    email = OutboxEmail.objects.select_for_update(skip_locked=True).filter(pk=email_id).first()
    if email is None:
        return Status.SENDING  # locked: the attempt is alive and will record its outcome
    if email.status != Status.SENDING:
        return email.status
    email.status = Status.UNKNOWN
    email.last_error = _(
        "第 %(n)s 次发送（%(at)s 开始）在与邮件服务器通信时中断，服务器可能已收下该邮件，"
        "因此不再自动重发。请在邮件服务器日志中按 Message-ID 查找后确认送达或重新发送。"
    ) % {"n": email.attempts, "at": timezone.localtime(email.attempted_at).strftime("%F %T")}
    email.save(update_fields=["status", "last_error"])
    logger.warning(
        "e-mail %s: attempt %s interrupted; not resent", email.message_id, email.attempts
    )
    return Status.UNKNOWN


def _permanent(exc: Exception) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return bool(exc.recipients) and all(c >= 500 for c, _m in exc.recipients.values())
    code = getattr(exc, "smtp_code", None)
    return isinstance(code, int) and code >= 500


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]


def _close(mailer) -> None:
    try:
        mailer.close()
    except Exception:  # the outcome is recorded already; a failed QUIT changes nothing
        logger.info("closing the mail connection failed", exc_info=True)


# Staff, after looking the Message-ID up in the relay's log -----------------------------------


@transaction.atomic
def email_review(*, email_id: int, user, delivered: bool) -> OutboxEmail:
    """Settle an e-mail whose sending was interrupted (unknown) or that failed: `delivered` — the
    relay's log shows it was accepted — marks it sent; otherwise it is queued again, once, with the
    same Message-ID (the caller enqueues the sending after commit). Who decided is recorded."""
    email = OutboxEmail.objects.select_for_update().get(pk=email_id)
    allowed = [Status.UNKNOWN] if delivered else [Status.UNKNOWN, Status.FAILED]
    if email.status not in allowed:
        raise ServiceError(
            _("该邮件的状态为“%(status)s”，无需核实。") % {"status": email.get_status_display()}
        )
    now = timezone.now()
    email.reviewed_by, email.reviewed_at = user, now
    if delivered:
        email.status, email.sent_at = Status.SENT, now
    else:
        email.status, email.attempts = Status.PENDING, 0
    email.save(update_fields=["status", "sent_at", "attempts", "reviewed_by", "reviewed_at"])
    return email


@transaction.atomic
def email_cancel(*, email_id: int, reason: str) -> bool:
    """Withdraw an e-mail not handed over yet (pending); returns whether it was withdrawn."""
    email = OutboxEmail.objects.select_for_update().filter(pk=email_id).first()
    if email is None or email.status != Status.PENDING:
        return False
    email.status, email.last_error = Status.CANCELLED, reason
    email.save(update_fields=["status", "last_error"])
    return True
