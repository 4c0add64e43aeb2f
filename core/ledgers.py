"""The ledgers every floor writes: the publication log (Y3.6, N6; Y4(2): traceable) — the
registry's imports, the plans, the draws and the results all record here what they published.
It lives on the ground floor so that no floor has to import the one above it to write it."""

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from core.audit import audit_record
from core.models import AuditEvent, Publication

AUDIT_ACTIONS = {
    "publish": AuditEvent.Action.PUBLISHED,
    "correct": AuditEvent.Action.CORRECTED,
    "withdraw": AuditEvent.Action.WITHDRAWN,
}


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
    audit_action: str = "",
) -> Publication:
    """Record what was published, where, when and by whom (Y3.6, N6; Y4(2): traceable); the
    publication, correction or withdrawal is an entry of the security audit trail too (issue 14 §3),
    as `audit_action` when the step has a name of its own there (a draw's announcement…)."""
    entry = Publication.objects.create(
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
    audit_record(
        audit_action or AUDIT_ACTIONS.get(action, AuditEvent.Action.PUBLISHED),
        user=user,
        target=subject if subject is not None else entry,
        detail={"kind": kind, "channel": channel, "publication": entry.pk},
    )
    return entry
