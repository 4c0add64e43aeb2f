"""Reminders through a real Celery worker and the real Redis (issue 4 §4, issue 12 §8): each
reminder is sent exactly once although the sweep is enqueued twice, and exactly once after its
worker is killed at any moment of the sending (late acknowledgement, CELERY_TASK_ACKS_LATE; the
outbox of core.mail): while connecting to the mail server it is sent after the restart; after the
server has the message — its 250 given, or still awaited — it is never sent again, and waits for
review (待核实) instead.

The workers run tests/core/worker_settings.py: e-mail goes to files the test reads, or to an SMTP
port the test holds (tests/core/smtp_server.py, or a socket that never answers), so the sending
stops where the test wants it."""

import datetime as dt
import email
import os
import signal
import socket
import threading
import time
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.db import connection, transaction

from core import roles
from core.deadlines import deadline_open
from core.models import Deadline, Notification, OutboxEmail, Reminder
from core.tasks import deadline_sweep_task
from inspections.models import InspectionTask
from tests.core.smtp_server import SILENT, SMTPServer
from tests.factories import UserFactory, sector
from tests.workers import worker_start

REDIS_URL = os.environ.get("REDIS_URL", "")

pytestmark = [
    pytest.mark.postgres,
    # Committed data for the workers' own connections; serialized_rollback puts back the rows
    # that migrations made (sectors, calendar, groups) for the transactional tests that follow.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(not REDIS_URL, reason="needs Redis: set REDIS_URL (CI does)"),
]


@pytest.fixture
def redis_db():
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()  # nothing left over from an earlier run
    yield client
    client.flushdb()


@pytest.fixture
def workers(tmp_path):
    """Start workers with `workers(mail_dir=..., smtp_port=...)`; stopped at the end."""
    started = []

    def start(*, mail_dir: Path | None = None, smtp_port: int | None = None):
        env = {"WORKER_MAIL_DIR": str(mail_dir or tmp_path / "unused")}
        if smtp_port:
            env["WORKER_SMTP_PORT"] = str(smtp_port)
        log = open(tmp_path / f"worker-{len(started)}.log", "wb")  # noqa: SIM115
        proc = worker_start(settings="tests.core.worker_settings", env=env, output=log)
        proc.log_path = log.name
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=30)


def wait_for(condition, worker, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        assert worker.poll() is None, Path(worker.log_path).read_text()
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}:\n{Path(worker.log_path).read_text()}")


def drained(redis_db) -> bool:
    """Nothing queued and nothing delivered but unacknowledged."""
    return redis_db.llen("celery") == 0 and redis_db.hlen("unacked") == 0


def messages(folder: Path) -> list[email.message.Message]:
    """Every e-mail the file backend wrote."""
    found = []
    for path in sorted(folder.glob("*.log")):
        for chunk in path.read_bytes().split(b"-" * 79):
            if chunk.strip():
                found.append(email.message_from_bytes(chunk.strip()))
    return found


def mails(folder: Path) -> list[tuple[str, list[str]]]:
    """(subject, recipients) of every e-mail the file backend wrote."""
    return [
        (
            str(make_header(decode_header(message["Subject"]))),
            [a.strip() for a in message["To"].split(",")],
        )
        for message in messages(folder)
    ]


@pytest.fixture
def overdue_report():
    """A report deadline due 13 Oct 2026 (N13), looked at on the 14th: due and overdue owed."""
    staff = UserFactory(username="li", first_name="李科员", email="li@bureau.example")
    leader = UserFactory(username="zhang", first_name="张局长", email="zhang@bureau.example")
    leader.groups.add(Group.objects.get(name=roles.LEADER))
    task = InspectionTask.objects.create(
        kind=InspectionTask.Kind.SPECIAL,
        name="律师事务所专项检查",
        sector=sector("lawyer"),
        starts_on=dt.date(2026, 9, 20),
        ends_on=dt.date(2026, 9, 30),
    )
    return deadline_open(
        kind=Deadline.Kind.REPORT,
        subject=task,
        starts_on=task.ends_on,
        workdays=5,
        title="律师事务所专项检查：完成抽查报告",
        rule="N13",
        responsible=staff,
    )


def test_sweep_enqueued_twice_sends_each_reminder_once(redis_db, workers, tmp_path, overdue_report):
    mail_dir = tmp_path / "mail"
    worker = workers(mail_dir=mail_dir)
    deadline_sweep_task.delay("2026-10-14")
    deadline_sweep_task.delay("2026-10-14")

    wait_for(lambda: Reminder.objects.filter(sent_at__isnull=False).count() == 2, worker, "sending")
    wait_for(lambda: drained(redis_db), worker, "an empty queue")

    sent = mails(mail_dir)
    assert sorted(subject[:4] for subject, _to in sent) == ["【今日到", "【逾期】"]
    assert len(sent) == 2
    escalation = next(to for subject, to in sent if subject.startswith("【逾期】"))
    assert escalation == ["li@bureau.example", "zhang@bureau.example"]
    assert Notification.objects.count() == 3  # due: 李科员; overdue: 李科员 and 张局长
    # Each under the Message-ID its outbox row was given before the sending.
    assert sorted(m["Message-ID"] for m in messages(mail_dir)) == sorted(
        OutboxEmail.objects.filter(status=OutboxEmail.Status.SENT).values_list(
            "message_id", flat=True
        )
    )
    overdue_report.refresh_from_db()
    assert overdue_report.missed_at is not None


def kill(worker) -> None:
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=30)


def settles(redis_db, worker, *, past_visibility_timeout: bool = False) -> None:
    """The redelivered task has run (and, if asked, nothing comes back past the timeout)."""
    wait_for(lambda: drained(redis_db), worker, "an empty queue")
    if past_visibility_timeout:
        time.sleep(6)
        assert drained(redis_db)


def test_worker_killed_while_connecting_sends_once_after_restart(
    redis_db, workers, tmp_path, overdue_report
):
    # An SMTP port that accepts and never answers: the sending hangs waiting for the greeting,
    # before anything is handed over.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    held, connected = [], threading.Event()

    def hold():
        conn, _addr = silent.accept()
        held.append(conn)
        connected.set()

    threading.Thread(target=hold, daemon=True).start()
    first = workers(smtp_port=silent.getsockname()[1])
    deadline_sweep_task.delay("2026-10-13")  # the due day: one reminder owed

    wait_for(connected.is_set, first, "the worker to start sending")
    kill(first)
    for conn in held:
        conn.close()
    silent.close()

    # Delivered, never acknowledged: the task waits in Redis. The reminder was sent in the app
    # and its e-mail recorded, both before the mail server was contacted; nothing handed over.
    assert redis_db.hlen("unacked") == 1
    reminder = Reminder.objects.get()
    assert reminder.kind == Reminder.Kind.DUE and reminder.sent_at is not None
    assert Notification.objects.count() == 1
    outbox = OutboxEmail.objects.get()
    assert (outbox.status, outbox.attempts) == (OutboxEmail.Status.PENDING, 0)

    mail_dir = tmp_path / "mail"
    second = workers(mail_dir=mail_dir)
    wait_for(
        lambda: OutboxEmail.objects.filter(status=OutboxEmail.Status.SENT).exists(),
        second,
        "sending",
    )
    settles(redis_db, second, past_visibility_timeout=True)

    sent = messages(mail_dir)
    assert [m["Message-ID"] for m in sent] == [outbox.message_id]
    assert mails(mail_dir) == [
        ("【今日到期】律师事务所专项检查：完成抽查报告", ["li@bureau.example"])
    ]
    assert Notification.objects.count() == 1


def waits_for_a_lock(cursor) -> bool:
    cursor.execute(
        "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
        "WHERE c.relname = 'core_outboxemail' AND NOT l.granted"
    )
    return cursor.fetchone()[0] > 0


def assert_never_sent_again(redis_db, workers, tmp_path, server: SMTPServer) -> None:
    """After the kill: a fresh worker gets the task again, finds the e-mail handed over without
    its outcome recorded, and marks it for review instead of sending it a second time."""
    assert redis_db.hlen("unacked") == 1
    outbox = OutboxEmail.objects.get()
    assert (outbox.status, outbox.attempts) == (OutboxEmail.Status.SENDING, 1)

    mail_dir = tmp_path / "mail"
    second = workers(mail_dir=mail_dir)
    wait_for(
        lambda: OutboxEmail.objects.filter(status=OutboxEmail.Status.UNKNOWN).exists(),
        second,
        "the e-mail to be marked for review",
    )
    settles(redis_db, second)

    assert messages(mail_dir) == []  # not sent again
    assert [m["Message-ID"] for m in server.parsed()] == [outbox.message_id]  # the one copy
    outbox.refresh_from_db()
    assert (outbox.status, outbox.attempts) == (OutboxEmail.Status.UNKNOWN, 1)
    assert "Message-ID" in outbox.last_error
    assert Notification.objects.count() == 1
    assert Reminder.objects.get().sent_at is not None


def test_worker_killed_after_the_server_accepted_never_sends_it_again(
    redis_db, workers, tmp_path, overdue_report
):
    """The moment of issue 12 §8: the server has answered 250 (it has the message), the worker
    has not committed that yet. Holding a SHARE lock on the outbox table makes the worker's UPDATE
    to *sent* wait exactly there while it is killed."""
    release_answer = threading.Event()
    with SMTPServer(before_data_end=release_answer) as server:
        first = workers(smtp_port=server.port)
        deadline_sweep_task.delay("2026-10-13")
        wait_for(server.data_received.is_set, first, "the message to reach the server")
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("LOCK TABLE core_outboxemail IN SHARE MODE")
            release_answer.set()
            wait_for(server.answered.is_set, first, "the server's 250")
            wait_for(lambda: waits_for_a_lock(cursor), first, "the worker to record it")
            kill(first)
        assert_never_sent_again(redis_db, workers, tmp_path, server)


def test_worker_killed_awaiting_the_servers_answer_never_sends_it_again(
    redis_db, workers, tmp_path, overdue_report
):
    # The whole message is with the server; its answer has not come: it may have accepted it.
    with SMTPServer(data_end=SILENT) as server:
        first = workers(smtp_port=server.port)
        deadline_sweep_task.delay("2026-10-13")
        wait_for(server.data_received.is_set, first, "the message to reach the server")
        kill(first)
        assert_never_sent_again(redis_db, workers, tmp_path, server)
