"""Background jobs of the publication: thin wrappers that call one service each."""

from celery import shared_task

from publication.feed import FeedError, feed_batch_make, feed_batch_send
from publication.models import FeedBatch

# Waits of 30 s doubling up to 10 min (no longer: a task waiting for its retry sits unacknowledged
# in the worker and must not outlast the broker's visibility timeout, docs/deployment.md §13.1),
# then every 10 min: about two hours in all before the batch is marked failed.
MAX_RETRIES = 16


@shared_task(name="publication.feed_flush_task")
def feed_flush_task() -> int:
    """Batch the waiting items and send each batch in its own task; returns the batches made."""
    made = 0
    while (batch := feed_batch_make()) is not None:
        feed_batch_send_task.delay(batch.pk)
        made += 1
    return made


@shared_task(
    name="publication.feed_batch_send_task",
    bind=True,
    autoretry_for=(FeedError,),
    retry_backoff=30,
    retry_backoff_max=600,
    retry_jitter=False,
    max_retries=MAX_RETRIES,
)
def feed_batch_send_task(self, batch_id: int) -> str:
    try:
        return feed_batch_send(batch=FeedBatch.objects.get(pk=batch_id)).status
    except FeedError:
        if self.request.retries >= MAX_RETRIES:
            FeedBatch.objects.filter(pk=batch_id).update(status=FeedBatch.Status.FAILED)
        raise
