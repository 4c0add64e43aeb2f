"""The credit-platform feed (Y3.6) against a real HTTP server on loopback that fails the first
attempts: retried with backoff until the platform takes the batch, an idempotency key per item,
the receipt stored; with no endpoint the batch is written as a file for manual upload."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from publication.feed import feed_batch_make, feed_enqueue
from publication.models import FeedBatch, FeedItem
from publication.services import notice_publish, notice_withdraw
from publication.tasks import MAX_RETRIES, feed_batch_send_task

pytestmark = pytest.mark.django_db


class Platform(BaseHTTPRequestHandler):
    """Fails `failures` times with 503, then answers with a receipt rejecting `reject`."""

    failures = 0
    reject: set = set()
    received: list = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).received.append({"body": body, "auth": self.headers.get("Authorization")})
        if type(self).failures > 0:
            type(self).failures -= 1
            self.send_response(503)
            self.end_headers()
            self.wfile.write("维护中".encode())
            return
        keys = [i["idempotency_key"] for i in body["items"]]
        receipt = {
            "receipt_id": f"CR-{body['batch']}",
            "accepted": [k for k in keys if k not in self.reject],
            "rejected": [
                {"idempotency_key": k, "message": "统一社会信用代码不存在"}
                for k in keys
                if k in self.reject
            ],
        }
        data = json.dumps(receipt, ensure_ascii=False).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def platform(settings):
    Platform.failures, Platform.reject, Platform.received = 0, set(), []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Platform)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.CREDIT_FEED_URL = f"http://127.0.0.1:{server.server_address[1]}/feed"
    settings.CREDIT_FEED_TOKEN = "s3cret"
    yield Platform
    server.shutdown()


def publish_two(report, user, capture):
    """Two results published and queued for the platform, as the on-commit hooks would (the
    flush they would send to the broker is left out: the tests send the batches themselves)."""
    results = list(report.results.order_by("pk"))[:2]
    with capture(execute=False):
        notices = [notice_publish(result=r, user=user) for r in results]
    for notice in notices:
        queue(notice, "publish", capture)
    return notices


def queue(notice, action, capture):
    with capture(execute=False):
        feed_enqueue(notice_id=notice.pk, action=action)


def test_retried_until_the_platform_takes_it(
    platform, report, staff_user, django_capture_on_commit_callbacks
):
    notices = publish_two(report, staff_user, django_capture_on_commit_callbacks)
    platform.failures = 2
    platform.reject = {f"notice-{notices[1].result_id}-v1-publish"}
    batch = feed_batch_make()
    outcome = feed_batch_send_task.apply(args=[batch.pk])  # retries run eagerly here
    assert outcome.result == "sent"
    batch.refresh_from_db()
    assert (batch.status, batch.attempts) == (FeedBatch.Status.SENT, 3)
    assert batch.receipt["receipt_id"] == f"CR-{batch.pk}"
    assert len(platform.received) == 3
    assert platform.received[0]["auth"] == "Bearer s3cret"
    # The same batch, with the same keys, every time.
    assert len({json.dumps(r["body"], sort_keys=True) for r in platform.received}) == 1
    sent = platform.received[-1]["body"]["items"]
    assert [i["result"]["credit_code"] for i in sent] == [n.credit_code for n in notices]
    items = {i.notice_id: i for i in FeedItem.objects.all()}
    assert items[notices[0].pk].accepted is True
    assert (items[notices[1].pk].accepted, items[notices[1].pk].message) == (
        False,
        "统一社会信用代码不存在",
    )
    # Sending it again does nothing: the platform does not hear of it twice.
    feed_batch_send_task.apply(args=[batch.pk])
    assert len(platform.received) == 3


def test_marked_failed_after_the_last_retry(
    platform, report, staff_user, django_capture_on_commit_callbacks
):
    publish_two(report, staff_user, django_capture_on_commit_callbacks)
    platform.failures = MAX_RETRIES + 5
    batch = feed_batch_make()
    outcome = feed_batch_send_task.apply(args=[batch.pk])
    assert outcome.failed()
    batch.refresh_from_db()
    assert batch.status == FeedBatch.Status.FAILED
    assert batch.attempts == MAX_RETRIES + 1 and "HTTP 503" in batch.last_error


def test_withdrawals_reach_the_platform_too(
    platform, report, staff_user, django_capture_on_commit_callbacks
):
    notice = publish_two(report, staff_user, django_capture_on_commit_callbacks)[0]
    with django_capture_on_commit_callbacks(execute=False):
        notice_withdraw(notice=notice, user=staff_user, reason="复核中")
    queue(notice, "withdraw", django_capture_on_commit_callbacks)
    feed_batch_send_task.apply(args=[feed_batch_make().pk])
    actions = [
        (i["action"], i["result"]["credit_code"]) for i in platform.received[-1]["body"]["items"]
    ]
    assert ("withdraw", notice.credit_code) in actions


def test_without_an_endpoint_batches_are_files(
    settings, report, staff_user, django_capture_on_commit_callbacks
):
    settings.CREDIT_FEED_URL = ""
    notices = publish_two(report, staff_user, django_capture_on_commit_callbacks)
    batch = feed_batch_make()
    assert feed_batch_make() is None  # every waiting item is in the one batch
    feed_batch_send_task.apply(args=[batch.pk])
    batch.refresh_from_db()
    assert batch.status == FeedBatch.Status.FILED
    data = json.loads(batch.file.read().decode())
    assert data["format"] == "shuangsuiji-credit-feed/1"
    assert [i["result"]["credit_code"] for i in data["items"]] == [n.credit_code for n in notices]


def test_publishing_queues_for_the_platform_and_a_schedule_sends_what_waits(
    report, staff_user, django_capture_on_commit_callbacks
):
    from django_celery_beat.models import PeriodicTask

    with django_capture_on_commit_callbacks(execute=False):
        notice = notice_publish(result=report.results.first(), user=staff_user)
    # Queued with the notice itself (same transaction), sent after the commit or by the schedule.
    assert FeedItem.objects.get().notice == notice
    flush = PeriodicTask.objects.get(task="publication.feed_flush_task")
    assert (flush.interval.every, flush.interval.period, flush.enabled) == (15, "minutes", True)
