"""PDF documents (WeasyPrint): the check record, the inspection report and the feedback letter —
A4, the Chinese font embedded, "第 N 页 共 M 页", the bureau's name. Rendered in Celery tasks
(inspections/tasks.py); each stores the file and its SHA-256 on its model."""

from inspections.models import CheckRecord, Feedback, InspectionReport


def record_pdf_render(*, record: CheckRecord) -> None:
    raise NotImplementedError  # issue 4 §3: being written


def report_pdf_render(*, report: InspectionReport) -> None:
    raise NotImplementedError  # issue 4 §3: being written


def feedback_letter_render(*, feedback: Feedback) -> None:
    raise NotImplementedError  # issue 4 §3: being written
