"""How the demo tells its story: from a fixed seed, so that every fresh database holds the same
rows and draws, and at the story's own dates, whatever day the demo is loaded on."""

import contextlib
import datetime as dt
from unittest import mock

from django.utils import timezone

SEED = 20260101  # the registries' rows, then the source values of the demo's draws


@contextlib.contextmanager
def replayed_at(moment: dt.datetime):
    """Run the services as on `moment`: the demo replays a round that happened in the past, so
    every stamp, check and deadline is as it would have been that day."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def shanghai(*parts: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime(*parts))  # TIME_ZONE is Asia/Shanghai
