"""What staff download of the fieldwork and its outcome (core/downloads.py): never /media/ in
production. A signed document not rendered yet is rendered by its download."""

from core.downloads import downloadable
from inspections.models import (
    CheckRecord,
    Evidence,
    Feedback,
    InspectionReport,
    LedgerEntry,
    Signature,
)
from inspections.services import documents


def _record_filename(record: CheckRecord) -> str:
    return f"check-record-{record.inspection_id}-v{record.version}.pdf"


downloadable(Evidence, "file", filename=lambda e: e.original_name)
downloadable(Signature, "image", inline=True)
downloadable(
    CheckRecord,
    "pdf",
    filename=_record_filename,
    render=lambda r: documents.record_pdf_render(record=r) if r.is_submitted else None,
)
downloadable(
    InspectionReport,
    "pdf",
    filename=lambda r: f"report-task-{r.task_id}.pdf",
    render=lambda r: documents.report_pdf_render(report=r) if r.is_approved else None,
)
downloadable(
    Feedback,
    "letter",
    filename=lambda f: f"feedback-letter-{f.inspection_id}.pdf",
    render=lambda f: documents.feedback_letter_render(feedback=f),
)
downloadable(Feedback, "proof")
downloadable(LedgerEntry, "evidence")
