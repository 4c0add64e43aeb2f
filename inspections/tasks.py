"""Background jobs of the inspections; thin wrappers that take ids and call one service each.

The PDF jobs are safe to run twice (acks late is global, so a job whose worker died runs again):
rendering unchanged data gives the same bytes under the same name, and the service stores nothing
when the stored file already has that hash. A row deleted meanwhile is not an error. Transient
failures — the database or the storage unreachable — are retried with exponential backoff.
"""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from inspections.models import CheckRecord, Feedback, InspectionReport
from inspections.services import documents
from inspections.services.pdf import FontsMissing

logger = logging.getLogger(__name__)

RETRY = {
    # FontsMissing: the Chinese faces are being installed (issue 12 §9) — try again later.
    "autoretry_for": (OperationalError, InterfaceError, OSError, FontsMissing),
    "retry_backoff": 5,  # 5 s, 10 s, 20 s… with jitter
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 6,
}


def _still_there(model, pk: int, label: str, document: str):
    """The row, or None (and a warning) when it was deleted meanwhile: not an error."""
    row = model.objects.filter(pk=pk).first()
    if row is None:
        logger.warning("%s %s no longer exists: no %s rendered", label, pk, document)
    return row


@shared_task(name="inspections.record_pdf_render_task", **RETRY)
def record_pdf_render_task(record_id: int) -> str | None:
    record = _still_there(CheckRecord, record_id, "check record", "PDF")
    return documents.record_pdf_render(record=record).pdf_sha256 if record else None


@shared_task(name="inspections.report_pdf_render_task", **RETRY)
def report_pdf_render_task(report_id: int) -> str | None:
    report = _still_there(InspectionReport, report_id, "inspection report", "PDF")
    return documents.report_pdf_render(report=report).pdf_sha256 if report else None


@shared_task(name="inspections.feedback_letter_render_task", **RETRY)
def feedback_letter_render_task(feedback_id: int) -> str | None:
    feedback = _still_there(Feedback, feedback_id, "feedback", "letter")
    return documents.feedback_letter_render(feedback=feedback).letter_sha256 if feedback else None
