"""Deadlines in working days and their reminders (SPEC §2, §5, §6; issue 4 §4).

Due days are counted on the seeded 2026 calendar (National Day and Mid-autumn 1–8 Oct with
Saturday 10 Oct worked; Spring Festival 15–23 Feb with Saturday 14 Feb worked). The sweep is run
day by day as beat would run it, through `manage.py deadlines_sweep --date D --send-now`; what a
person notices is the e-mail (mail.outbox) and the in-app notification. Due days and the plans'
deadlines: test_deadline_due_days.py.
"""

import datetime as dt
import io
import socket
import threading
import time

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone

from core.deadlines import deadline_meet, deadline_sweep, reminder_send
from core.exceptions import EmailDeferred
from core.models import Deadline, Notification, OutboxEmail, Reminder
from tests.core.deadline_data import day, labels, report_deadline, subjects, sweep, task_ending
from tests.factories import UserFactory
from tests.inspections.conftest import clock

pytestmark = pytest.mark.django_db


class TestReminders:
    @pytest.fixture
    def deadline(self, staff, leader):
        return report_deadline(task_ending(day("2026-09-30")), staff)  # due 13 Oct

    def test_before_due_and_overdue_on_their_days(self, deadline, staff, leader, settings):
        settings.SITE_URL = "https://inspections.example.gov.cn/"
        for quiet in ["2026-09-30", "2026-10-01", "2026-10-08", "2026-10-09"]:
            sweep(quiet)
        assert mail.outbox == []  # 3 or more working days left

        sweep("2026-10-10")  # Saturday worked: 12 and 13 Oct left — 2 working days before
        assert subjects() == [
            "【期限提醒】2026 年律师行业第 2 批双随机抽查：完成抽查报告，2026-10-13 到期"
        ]
        assert mail.outbox[0].to == ["staff@bureau.example"]
        assert "N13" in mail.outbox[0].body
        # A link to where it is done, absolute once the site's address is set (SITE_URL).
        assert "https://inspections.example.gov.cn/admin/inspections/inspectiontask/1/change/" in (
            mail.outbox[0].body
        )
        sweep("2026-10-11")
        sweep("2026-10-12")
        assert len(mail.outbox) == 1

        sweep("2026-10-13")
        assert subjects()[1] == "【今日到期】2026 年律师行业第 2 批双随机抽查：完成抽查报告"
        assert mail.outbox[1].to == ["staff@bureau.example"]

        sweep("2026-10-14")
        escalation = mail.outbox[2]
        assert labels()[2] == "【逾期】"
        # Escalated to the leader in charge, the responsible person told too.
        assert escalation.to == ["staff@bureau.example", "leader@bureau.example"]
        assert "李科员" in escalation.body and "分管领导" in escalation.body
        deadline.refresh_from_db()
        assert timezone.localtime(deadline.missed_at) == timezone.make_aware(
            dt.datetime(2026, 10, 14)
        )

        missed_at = deadline.missed_at
        sweep("2026-10-15")
        sweep("2026-10-20")
        assert len(mail.outbox) == 3
        deadline.refresh_from_db()
        assert deadline.missed_at == missed_at  # set once

        # In the app: each reminder once per person.
        assert (
            list(
                Notification.objects.filter(user=staff)
                .order_by("pk")
                .values_list("title", flat=True)
            )
            == subjects()
        )
        assert Notification.objects.filter(user=leader).count() == 1
        assert set(Reminder.objects.values_list("kind", flat=True)) == {"before", "due", "overdue"}
        assert not Reminder.objects.filter(sent_at__isnull=True).exists()

    def test_met_late_keeps_both_times(self, deadline):
        sweep("2026-10-14")
        with clock(day("2026-10-16")):
            deadline_meet(kind=Deadline.Kind.REPORT, subject=deadline.subject)
        deadline.refresh_from_db()
        assert deadline.met_late
        assert timezone.localdate(deadline.met_at) == day("2026-10-16")
        assert timezone.localdate(deadline.missed_at) == day("2026-10-14")

    def test_met_late_without_a_sweep_is_still_late(self, deadline):
        # Beat was down the whole time: meeting it after the due day still records it as missed.
        with clock(day("2026-10-15")):
            deadline_meet(kind=Deadline.Kind.REPORT, subject=deadline.subject)
        deadline.refresh_from_db()
        assert deadline.met_late

    def test_met_on_time_gets_nothing(self, deadline):
        sweep("2026-10-10")
        with clock(day("2026-10-12")):
            deadline_meet(kind=Deadline.Kind.REPORT, subject=deadline.subject)
        for later in ["2026-10-13", "2026-10-14", "2026-10-30"]:
            sweep(later)
        assert len(mail.outbox) == 1  # only the reminder before, sent while it was open
        deadline.refresh_from_db()
        assert deadline.met_at is not None and deadline.missed_at is None
        assert not deadline.met_late

    def test_met_before_the_queued_reminder_is_sent(self, deadline):
        result = deadline_sweep(today=day("2026-10-13"), enqueue=False)
        deadline_meet(kind=Deadline.Kind.REPORT, subject=deadline.subject)
        assert [reminder_send(reminder_id=pk) for pk in result.to_send] == [False]
        assert mail.outbox == []

    def test_sweep_twice_sends_each_once(self, deadline):
        sweep("2026-10-14")
        sweep("2026-10-14")
        assert len(mail.outbox) == 2  # due and overdue, once each
        assert Reminder.objects.count() == 2

    def test_two_sweeps_before_any_sending(self, deadline):
        # Both sweeps hand the same unsent reminders to the sending; the row lock and sent_at
        # let only the first through.
        first = deadline_sweep(today=day("2026-10-14"), enqueue=False)
        second = deadline_sweep(today=day("2026-10-14"), enqueue=False)
        assert first.to_send == second.to_send and len(first.to_send) == 2
        sent = [reminder_send(reminder_id=pk) for pk in first.to_send + second.to_send]
        assert sent == [True, True, False, False]
        assert len(mail.outbox) == 2

    def test_sending_is_enqueued_on_commit(self, deadline, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks() as callbacks:
            result = deadline_sweep(today=day("2026-10-13"))
        assert len(callbacks) == len(result.to_send) == 1
        assert mail.outbox == []  # sent by the worker, not by the sweep

    def test_late_sweep_sends_the_due_reminder_but_never_the_one_before(self, deadline):
        # Beat was down from 9 to 13 Oct: the first sweep after is on the 14th.
        sweep("2026-10-14")
        assert labels() == ["【今日到期】", "【逾期】"]
        assert not Reminder.objects.filter(kind=Reminder.Kind.BEFORE).exists()

    def test_reminder_before_lost_then_due_day(self, deadline):
        # The worker lost the "before" sending; by the due day it is no longer sent.
        deadline_sweep(today=day("2026-10-12"), enqueue=False)
        sweep("2026-10-13")
        assert labels() == ["【今日到期】"]
        assert Reminder.objects.get(kind=Reminder.Kind.BEFORE).sent_at is None

    def test_without_responsible_the_leaders_are_told(self, leader):
        report_deadline(task_ending(day("2026-09-30")), responsible=None)
        sweep("2026-10-13")
        assert mail.outbox[0].to == ["leader@bureau.example"]

    def test_person_without_email_still_notified_in_app(self, staff, leader):
        nobody = UserFactory(username="no-mail")
        report_deadline(task_ending(day("2026-09-30")), responsible=nobody)
        sweep("2026-10-13")
        assert mail.outbox == []
        assert Notification.objects.filter(user=nobody, read_at__isnull=True).count() == 1
        reminder = Reminder.objects.get()
        assert reminder.sent_at is not None and reminder.recipients[0]["name"] == "no-mail"


@pytest.fixture
def relay_down(settings):
    """An SMTP server that is not there (connection refused): e-mails stay pending."""
    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = free.getsockname()
    free.close()
    return settings


class TestRemindersThroughTheOutbox:
    """Issue 12 §8: the reminder is sent (notification, outbox row) before the mail server is
    contacted; its e-mail then lives by its outbox status."""

    @pytest.fixture
    def deadline(self, staff, leader):
        return report_deadline(task_ending(day("2026-09-30")), staff)  # due 13 Oct

    def test_relay_down_notifies_in_app_and_keeps_the_email(self, deadline, relay_down):
        result = deadline_sweep(today=day("2026-10-13"), enqueue=False)
        with pytest.raises(EmailDeferred):
            reminder_send(reminder_id=result.to_send[0])
        reminder = Reminder.objects.get()
        assert reminder.sent_at is not None and Notification.objects.count() == 1
        assert reminder.email.status == OutboxEmail.Status.PENDING
        assert reminder.email.attempts == 1

        # The retry, once the relay is back: the same row, sent, nothing doubled in the app.
        relay_down.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        assert reminder_send(reminder_id=reminder.pk) is False  # sent before; only its e-mail now
        assert [m.extra_headers["Message-ID"] for m in mail.outbox] == [reminder.email.message_id]
        assert Notification.objects.count() == 1
        assert OutboxEmail.objects.get().status == OutboxEmail.Status.SENT

    def test_deadline_met_while_the_email_waits_withdraws_it(self, deadline, relay_down):
        result = deadline_sweep(today=day("2026-10-13"), enqueue=False)
        with pytest.raises(EmailDeferred):
            reminder_send(reminder_id=result.to_send[0])
        deadline_meet(kind=Deadline.Kind.REPORT, subject=deadline.subject)
        relay_down.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        assert reminder_send(reminder_id=result.to_send[0]) is False
        assert mail.outbox == []
        email = OutboxEmail.objects.get()
        assert email.status == OutboxEmail.Status.CANCELLED
        assert "办理期限已完成" in email.last_error

    def test_sweep_hands_over_an_email_whose_retries_were_lost(self, deadline, relay_down):
        first = deadline_sweep(today=day("2026-10-13"), enqueue=False)
        with pytest.raises(EmailDeferred):
            reminder_send(reminder_id=first.to_send[0])
        # Its own retry is on its way: the next sweep leaves it alone…
        assert deadline_sweep(today=day("2026-10-13"), enqueue=False).to_send == []
        # …unless the last attempt is so long ago that the retry must have been lost.
        OutboxEmail.objects.update(attempted_at=timezone.now() - dt.timedelta(hours=2))
        assert deadline_sweep(today=day("2026-10-13"), enqueue=False).to_send == first.to_send

    def test_send_now_with_the_relay_down_goes_on(self, deadline, relay_down):
        out = sweep("2026-10-14")  # due and overdue owed
        assert out.count("的邮件暂未发出") == 2
        assert Notification.objects.count() == 3
        assert set(OutboxEmail.objects.values_list("status", flat=True)) == {"pending"}

    def test_email_without_addresses_is_not_queued(self, leader):
        nobody = UserFactory(username="no-mail")
        leader.email = ""
        leader.save()
        report_deadline(task_ending(day("2026-09-30")), responsible=nobody)
        sweep("2026-10-13")
        assert not OutboxEmail.objects.exists()
        assert Notification.objects.filter(user=nobody).count() == 1


def test_beat_runs_the_sweep_every_morning_at_0830_shanghai():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="core.deadline_sweep_task")
    crontab = task.crontab
    assert task.enabled
    assert (crontab.minute, crontab.hour, crontab.day_of_week) == ("30", "8", "*")
    assert str(crontab.timezone) == "Asia/Shanghai"


def test_command_leaves_the_sending_to_the_worker(staff, django_capture_on_commit_callbacks):
    report_deadline(task_ending(day("2026-09-30")), staff)
    out = io.StringIO()
    with django_capture_on_commit_callbacks() as callbacks:
        call_command("deadlines_sweep", "--date", "2026-10-13", stdout=out)
    assert "新建提醒 1 条" in out.getvalue() and "已交给后台任务发送" in out.getvalue()
    assert len(callbacks) == 1 and mail.outbox == []


def test_command_refuses_a_bad_date():
    with pytest.raises(CommandError, match="不是 YYYY-MM-DD 格式的日期"):
        call_command("deadlines_sweep", "--date", "2026/13/01")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_sweeps_create_and_send_each_reminder_once():
    """Two sweeps at once, on their own connections: the second one's INSERT waits for the
    first's rows (unique per deadline and kind) and inserts nothing; both hand the reminders to
    the sending, which lets only one through."""
    staff = UserFactory(username="li", email="li@bureau.example")
    report_deadline(task_ending(day("2026-09-30")), staff)
    first_done, results = threading.Event(), {}

    def first():
        with transaction.atomic():
            results["first"] = deadline_sweep(today=day("2026-10-14"), enqueue=False)
            first_done.set()
            time.sleep(1)  # still uncommitted while the second sweep runs
        connection.close()

    def second():
        first_done.wait(timeout=30)
        results["second"] = deadline_sweep(today=day("2026-10-14"), enqueue=False)
        connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert results["first"].reminders_created == 2
    assert sorted(results["second"].to_send) == sorted(results["first"].to_send)
    assert Reminder.objects.count() == 2
    for pk in results["first"].to_send + results["second"].to_send:
        reminder_send(reminder_id=pk)
    assert labels() == ["【今日到期】", "【逾期】"]
