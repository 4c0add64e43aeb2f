"""The ledgers every floor writes: the publication log (Y3.6, N6; Y4(2): traceable) — the
registry's imports, the plans, the draws and the results all record here what they published.
It lives on the ground floor so that no floor has to import the one above it to write it."""

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from core.models import Publication


def publication_log(
    *,
    kind: str,
    title: str,
    user=None,
    subject=None,
    action: str = "publish",
    channel: str = Publication.Channel.SITE,
    at=None,
    note: str = "",
) -> Publication:
    """Record what was published, where, when and by whom (Y3.6, N6; Y4(2): traceable)."""
    return Publication.objects.create(
        kind=kind,
        channel=channel,
        subject_type=ContentType.objects.get_for_model(subject) if subject is not None else None,
        subject_id=subject.pk if subject is not None else None,
        title=title[:300],
        action=action,
        at=at or timezone.now(),
        by=user,
        note=note,
    )
