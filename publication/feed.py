"""The outbound adapter to the credit-information sharing platform (Y3.6): every publication or
withdrawal of a notice becomes an item with an idempotency key; items go out in JSON batches to
the configured HTTPS endpoint, retried with backoff by Celery, and the platform's receipt is kept.
With no endpoint configured, a batch is written as a file for manual upload."""

import json
import urllib.error
import urllib.request

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from core.queue import enqueue_on_commit
from publication.models import FeedBatch, FeedItem, ResultNotice
from publication.selectors import notice_public_dict

FORMAT = "shuangsuiji-credit-feed/1"


class FeedError(Exception):
    """The platform did not take the batch (network, HTTP status, unreadable receipt)."""


def feed_enqueue(*, notice_id: int, action: str) -> FeedItem:
    """Queue a notice's publication or withdrawal for the platform (once: the key is unique)."""
    notice = ResultNotice.objects.get(pk=notice_id)
    key = f"notice-{notice.result_id}-v{notice.version}-{action}"
    item, _created = FeedItem.objects.get_or_create(
        idempotency_key=key, defaults={"notice": notice, "action": action}
    )
    # robust: with the broker down the item still waits, and the periodic flush sends it.
    enqueue_on_commit("publication.feed_flush_task", robust=True)
    return item


@transaction.atomic
def feed_batch_make() -> FeedBatch | None:
    """Take the waiting items (those no batch has) into a new batch; None when there are none.
    Two flushes at once take different items (SKIP LOCKED)."""
    waiting = list(
        FeedItem.objects.select_for_update(skip_locked=True)
        .filter(batch__isnull=True)
        .order_by("pk")[: settings.CREDIT_FEED_BATCH_SIZE]
        .values_list("pk", flat=True)
    )
    if not waiting:
        return None
    batch = FeedBatch.objects.create(endpoint=settings.CREDIT_FEED_URL)
    FeedItem.objects.filter(pk__in=waiting).update(batch=batch)
    return batch


def feed_payload(batch: FeedBatch) -> dict:
    items = batch.items.select_related("notice__sector", "notice__jurisdiction").order_by("pk")
    return {
        "format": FORMAT,
        "batch": batch.pk,
        "authority": settings.BUREAU_NAME,
        "items": [
            {
                "idempotency_key": item.idempotency_key,
                "action": item.action,
                "result": notice_public_dict(item.notice),
            }
            for item in items
        ],
    }


def feed_batch_send(*, batch: FeedBatch) -> FeedBatch:
    """Send (or file) one batch. Raises FeedError when the platform did not take it, so the
    Celery task retries; a batch already sent or filed is left alone (safe to run twice)."""
    batch = FeedBatch.objects.get(pk=batch.pk)
    if batch.status in (FeedBatch.Status.SENT, FeedBatch.Status.FILED):
        return batch
    body = json.dumps(feed_payload(batch), ensure_ascii=False, cls=DjangoJSONEncoder).encode()
    if not batch.endpoint:
        batch.file.save(f"credit-feed-{batch.pk}.json", ContentFile(body), save=False)
        batch.status = FeedBatch.Status.FILED
        batch.save(update_fields=["file", "status"])
        return batch
    batch.attempts += 1
    try:
        receipt = _post(batch.endpoint, body)
    except FeedError as exc:
        batch.last_error = str(exc)[:2000]
        batch.save(update_fields=["attempts", "last_error"])
        raise
    _take_receipt(batch, receipt)
    return batch


def _post(endpoint: str, body: bytes) -> dict:
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if settings.CREDIT_FEED_TOKEN:
        headers["Authorization"] = f"Bearer {settings.CREDIT_FEED_TOKEN}"
    request = urllib.request.Request(endpoint, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=settings.CREDIT_FEED_TIMEOUT) as response:
            raw = response.read()
    except urllib.error.HTTPError as exc:
        raise FeedError(f"HTTP {exc.code}: {exc.read()[:500].decode(errors='replace')}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise FeedError(str(exc)) from exc
    try:
        receipt = json.loads(raw)
    except ValueError as exc:
        raise FeedError(f"unreadable receipt: {raw[:200]!r}") from exc
    if not isinstance(receipt, dict):
        raise FeedError(f"unreadable receipt: {raw[:200]!r}")
    return receipt


@transaction.atomic
def _take_receipt(batch: FeedBatch, receipt: dict) -> None:
    """The receipt names the accepted keys and the rejected ones with a message; keys it does
    not mention are taken as accepted (a platform that answers 2xx took the batch)."""
    rejected = {
        r.get("idempotency_key"): str(r.get("message", ""))
        for r in receipt.get("rejected", [])
        if isinstance(r, dict)
    }
    for item in batch.items.all():
        item.accepted = item.idempotency_key not in rejected
        item.message = rejected.get(item.idempotency_key, "")
        item.save(update_fields=["accepted", "message"])
    batch.status, batch.sent_at, batch.receipt = FeedBatch.Status.SENT, timezone.now(), receipt
    batch.last_error = ""
    batch.save(update_fields=["status", "sent_at", "receipt", "last_error", "attempts"])
