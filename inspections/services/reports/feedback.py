"""The result fed back to each target once the report is approved (N14), with the letter as sent."""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.deadlines import deadline_meet
from core.exceptions import ServiceError
from core.models import Deadline
from core.queue import enqueue_on_commit
from inspections.models import Feedback, Inspection
from inspections.services.documents import document_freeze
from inspections.services.reports.drafting import _live_inspections


@transaction.atomic
def feedback_record(
    *,
    inspection: Inspection,
    method: str,
    delivered_on: dt.date,
    user,
    proof=None,
    note: str = "",
) -> Feedback:
    """N14: the result fed back to the target — in person or by post (with the proof of
    delivery), or by publication. Only once the report is approved."""
    inspection = Inspection.objects.select_for_update().get(pk=inspection.pk)
    name = str(inspection.institution)
    report = getattr(inspection.task, "report", None)
    if report is None or not report.is_approved:
        raise ServiceError(_("%(name)s：抽查报告批准后才能反馈结果。") % {"name": name})
    if hasattr(inspection, "feedback"):
        raise ServiceError(_("%(name)s：已登记过结果反馈。") % {"name": name})
    if method not in Feedback.Method.values:
        raise ServiceError(_("%(name)s：请选择反馈方式。") % {"name": name})
    if method != Feedback.Method.PUBLICATION and not proof:
        raise ServiceError(
            _("%(name)s：当面或邮寄送达的，须上传送达凭证（签收单或邮寄回执）。") % {"name": name}
        )
    if delivered_on > timezone.localdate():
        raise ServiceError(_("%(name)s：送达日期不能晚于今天。") % {"name": name})
    if delivered_on < timezone.localdate(report.approved_at):
        raise ServiceError(_("%(name)s：送达日期不能早于报告批准日期。") % {"name": name})
    feedback = Feedback.objects.create(
        inspection=inspection,
        method=method,
        delivered_on=delivered_on,
        proof=proof or "",
        note=note,
        recorded_by=user,
    )
    document_freeze(feedback)  # the letter as sent (issue 12 §1)
    task = inspection.task
    if not _live_inspections(task).filter(feedback__isnull=True).exists():
        deadline_meet(kind=Deadline.Kind.FEEDBACK, subject=task)
    enqueue_on_commit("inspections.feedback_letter_render_task", feedback.pk, robust=True)
    return feedback
