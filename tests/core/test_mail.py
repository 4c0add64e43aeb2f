"""The outbox (core.mail, issue 12 §8) against a real SMTP conversation on loopback: every outcome
of an attempt, what a retry does after each, and the staff's review of an interrupted one.

The kills of a real worker at the wrong moments are in tests/core/test_deadline_celery.py."""

import re
import smtplib
import socket
import threading

import pytest
from django.contrib.messages import get_messages
from django.db import connection, transaction
from django.urls import reverse
from django.utils.html import escape

from core.exceptions import EmailDeferred, ServiceError
from core.mail import MAX_ATTEMPTS, email_queue, email_review, email_send
from core.models import OutboxEmail
from tests.core.smtp_server import CLOSE, SILENT, SMTPServer

pytestmark = pytest.mark.django_db
Status = OutboxEmail.Status


@pytest.fixture
def smtp(settings):
    """Start an SMTPServer(**script) and point Django's SMTP backend at it."""
    servers = []

    def start(**script) -> SMTPServer:
        server = SMTPServer(**script)
        servers.append(server)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        settings.EMAIL_TIMEOUT = 2
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def queued(settings):
    settings.DEFAULT_FROM_EMAIL = "监督科 <noreply@bureau.example>"
    return email_queue(
        to=["li@bureau.example"],
        subject="【今日到期】律师事务所专项检查：完成抽查报告",
        body="今天是截止日期。",
        key="reminder-7-due",
    )


def reload(email: OutboxEmail) -> OutboxEmail:
    return OutboxEmail.objects.get(pk=email.pk)


def test_message_id_is_derived_from_what_the_email_is_for(queued):
    assert queued.message_id.startswith("<reminder-7-due.")
    assert queued.message_id.endswith("@bureau.example>")
    other = email_queue(to=["x@bureau.example"], subject="s", body="b", key="reminder-7-due")
    assert other.message_id != queued.message_id  # unique all the same


def test_sent_once_with_its_message_id(smtp, queued):
    server = smtp()
    assert email_send(email_id=queued.pk) == Status.SENT
    email = reload(queued)
    assert (email.status, email.attempts, email.last_error) == (Status.SENT, 1, "")
    assert email.sent_at is not None
    [message] = server.parsed()
    assert message["Message-ID"] == queued.message_id
    assert message["To"] == "li@bureau.example"

    # Called again (a task delivered twice): nothing more.
    assert email_send(email_id=queued.pk) == Status.SENT
    assert len(server.messages) == 1


def test_relay_down_leaves_it_pending_and_retries_until_it_fails(settings, queued):
    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    port = free.getsockname()[1]
    free.close()  # nothing listens there: connection refused
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    for attempt in range(1, MAX_ATTEMPTS):
        with pytest.raises(EmailDeferred):
            email_send(email_id=queued.pk)
        email = reload(queued)
        assert (email.status, email.attempts) == (Status.PENDING, attempt)
        assert "ConnectionRefusedError" in email.last_error
    assert email_send(email_id=queued.pk) == Status.FAILED  # the last attempt: no more retries
    assert reload(queued).attempts == MAX_ATTEMPTS


@pytest.mark.parametrize(
    ("script", "status"),
    [
        ({"rcpt": "450 4.2.0 Mailbox busy"}, Status.PENDING),
        ({"rcpt": "550 5.1.1 No such user"}, Status.FAILED),
        ({"mail": "421 4.3.2 Try again later"}, Status.PENDING),
        ({"data_end": "451 4.3.0 Queue full"}, Status.PENDING),
        ({"data_end": "554 5.7.1 Rejected"}, Status.FAILED),
        # The server hangs up before DATA began: nothing can have been accepted.
        ({"rcpt": CLOSE}, Status.PENDING),
    ],
    ids=["rcpt-4xx", "rcpt-5xx", "mail-4xx", "data-4xx", "data-5xx", "closed-before-data"],
)
def test_refused_by_the_server_is_retried_or_failed(smtp, queued, script, status):
    smtp(**script)
    if status == Status.PENDING:
        with pytest.raises(EmailDeferred):
            email_send(email_id=queued.pk)
    else:
        assert email_send(email_id=queued.pk) == Status.FAILED
    email = reload(queued)
    assert (email.status, email.attempts) == (status, 1)
    assert "SMTP" in email.last_error


@pytest.mark.parametrize("data_end", [CLOSE, SILENT], ids=["hung-up", "timed-out"])
def test_lost_after_the_message_was_handed_over_is_never_resent(smtp, queued, data_end):
    # The whole message reached the server, its answer never came back: it may have accepted it.
    server = smtp(data_end=data_end)
    assert email_send(email_id=queued.pk) == Status.UNKNOWN
    assert len(server.messages) == 1
    email = reload(queued)
    assert (email.status, email.attempts) == (Status.UNKNOWN, 1)

    for _retry in range(3):  # the task delivered again, the sweep, a double click
        assert email_send(email_id=queued.pk) == Status.UNKNOWN
    assert len(server.messages) == 1


def test_a_row_left_sending_by_a_dead_attempt_is_marked_for_review(smtp, queued):
    # What a worker killed between claiming the row and recording the answer leaves behind.
    server = smtp()
    OutboxEmail.objects.filter(pk=queued.pk).update(status=Status.SENDING, attempts=1)
    assert email_send(email_id=queued.pk) == Status.UNKNOWN
    email = reload(queued)
    assert "可能已收下" in email.last_error and "Message-ID" in email.last_error
    assert server.messages == []


@pytest.mark.postgres
# Committed rows for the second connection; serialized_rollback puts back what migrations made.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_row_sending_under_a_live_attempt_is_left_to_it(queued):
    """A second attempt while the first is in its SMTP conversation (the row locked by it): it
    neither sends nor takes the first for dead."""
    OutboxEmail.objects.filter(pk=queued.pk).update(status=Status.SENDING, attempts=1)
    locked, release = threading.Event(), threading.Event()

    def live_attempt():
        with transaction.atomic():
            OutboxEmail.objects.select_for_update().get(pk=queued.pk)
            locked.set()
            release.wait(timeout=30)
        connection.close()

    holder = threading.Thread(target=live_attempt)
    holder.start()
    try:
        assert locked.wait(timeout=30)
        assert email_send(email_id=queued.pk) == Status.SENDING
        assert reload(queued).status == Status.SENDING
    finally:
        release.set()
        holder.join(timeout=30)


def test_review_confirms_delivery_or_resends_once_with_the_same_message_id(
    smtp, queued, staff_user
):
    server = smtp(data_end=CLOSE)
    assert email_send(email_id=queued.pk) == Status.UNKNOWN

    # The relay's log had no such Message-ID: sent again, once, under the same one.
    server.stop()
    server = smtp()
    email = email_review(email_id=queued.pk, user=staff_user, delivered=False)
    assert (email.status, email.reviewed_by) == (Status.PENDING, staff_user)
    assert email_send(email_id=queued.pk) == Status.SENT
    assert [m["Message-ID"] for m in server.parsed()] == [queued.message_id]
    with pytest.raises(ServiceError, match="无需核实"):
        email_review(email_id=queued.pk, user=staff_user, delivered=False)


def test_review_of_a_delivered_one_marks_it_sent(smtp, queued, staff_user):
    smtp(data_end=SILENT)
    email_send(email_id=queued.pk)
    email = email_review(email_id=queued.pk, user=staff_user, delivered=True)
    assert email.status == Status.SENT and email.sent_at is not None
    assert email_send(email_id=queued.pk) == Status.SENT


# -- the admin ---------------------------------------------------------------------------------
def admin_action(client, action: str, email: OutboxEmail):
    return client.post(
        reverse("admin:core_outboxemail_changelist"),
        {"action": action, "_selected_action": [email.pk]},
        follow=True,
    )


def test_admin_lists_emails_to_review_and_staff_resend(
    smtp, queued, staff_client, django_capture_on_commit_callbacks
):
    smtp(data_end=CLOSE)
    email_send(email_id=queued.pk)
    page = staff_client.get(reverse("admin:core_outboxemail_changelist") + "?status=unknown")
    assert page.status_code == 200
    assert escape(queued.message_id) in page.content.decode()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_action(staff_client, "resend", queued)
    assert any("重新发送" in str(m) for m in get_messages(response.wsgi_request))
    assert reload(queued).status == Status.PENDING
    assert len(callbacks) == 1  # the sending, enqueued after commit


def test_the_deadline_board_points_at_emails_to_review(smtp, queued, staff_client):
    board = reverse("admin:core_deadline_board")
    assert 'id="emails-to-review"' not in staff_client.get(board).content.decode()
    smtp(data_end=CLOSE)
    email_send(email_id=queued.pk)
    page = staff_client.get(board).content.decode()
    assert "1 封提醒邮件发送中断或失败，需核实" in page
    link = re.search(r'id="emails-to-review"><strong[^>]*><a href="([^"]+)"', page).group(1)
    listed = staff_client.get(link.replace("&amp;", "&"))
    assert listed.status_code == 200 and escape(queued.message_id) in listed.content.decode()


def test_admin_confirm_delivered(smtp, queued, staff_client):
    smtp(data_end=CLOSE)
    email_send(email_id=queued.pk)
    admin_action(staff_client, "confirm_delivered", queued)
    assert reload(queued).status == Status.SENT


@pytest.mark.parametrize("role", ["leader_user", "auditor_user", "legal_user"])
def test_readers_see_the_outbox_but_cannot_resend(smtp, queued, client, request, role):
    smtp(data_end=CLOSE)
    email_send(email_id=queued.pk)
    client.force_login(request.getfixturevalue(role))
    assert client.get(reverse("admin:core_outboxemail_changelist")).status_code == 200
    admin_action(client, "resend", queued)
    assert reload(queued).status == Status.UNKNOWN


def test_smtp_error_classes_exist():
    # The outcomes above rely on smtplib raising SMTPDataError for answers to DATA.
    assert issubclass(smtplib.SMTPDataError, smtplib.SMTPResponseException)
