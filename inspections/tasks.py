"""Background jobs of the inspections; thin wrappers that take ids and call one service each."""

from celery import shared_task

from inspections.models import CheckRecord, Feedback, InspectionReport
from inspections.services import documents


@shared_task(name="inspections.record_pdf_render_task")
def record_pdf_render_task(record_id: int) -> None:
    documents.record_pdf_render(record=CheckRecord.objects.get(pk=record_id))


@shared_task(name="inspections.report_pdf_render_task")
def report_pdf_render_task(report_id: int) -> None:
    documents.report_pdf_render(report=InspectionReport.objects.get(pk=report_id))


@shared_task(name="inspections.feedback_letter_render_task")
def feedback_letter_render_task(feedback_id: int) -> None:
    documents.feedback_letter_render(feedback=Feedback.objects.get(pk=feedback_id))
