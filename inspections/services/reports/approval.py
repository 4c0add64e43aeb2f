"""The report's two approvals (N10(5)): a team leader of the task, then the leader in charge, after
which the report is final, its PDF rendered, the feedback's deadline started (N14) and each problem
entered in the follow-up ledger (Y3.6, N16)."""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.deadlines import deadline_meet, deadline_open
from core.exceptions import ServiceError
from core.models import Deadline
from core.queue import enqueue_on_commit
from inspections.models import Inspection, InspectionReport, InspectionTask
from inspections.services.documents import document_freeze
from inspections.services.reports.drafting import _draft_only
from inspections.services.reports.ledger import _ledger_open_for_problems


def _team_leader_of(task: InspectionTask, user) -> bool:
    inspector = getattr(user, "inspector", None)
    return (
        inspector is not None
        and task.inspections.filter(members__inspector=inspector, members__position=1)
        .exclude(status=Inspection.Status.CANCELLED)
        .exists()
    )


@transaction.atomic
def report_team_approve(*, report: InspectionReport, user) -> InspectionReport:
    """N10(5), first step: a team leader (组长) of the task approves the report."""
    report = _draft_only(report)
    if not _team_leader_of(report.task, user):
        raise ServiceError(_("只有本任务的检查组组长可以审核报告。"))
    undecided = [str(r.inspection.institution) for r in report.results.all() if not r.category]
    if undecided:
        raise ServiceError(
            _("以下检查对象尚未确定检查结果：%(names)s") % {"names": "、".join(undecided)}
        )
    report.status = InspectionReport.Status.TEAM_APPROVED
    report.team_approved_by, report.team_approved_at = user, timezone.now()
    report.save()
    return report


@transaction.atomic
def report_approve(*, report: InspectionReport, user) -> InspectionReport:
    """N10(5), second step: the leader in charge approves; the report is final. The report's
    deadline (N13) is met, the feedback's starts (N14: 5 working days), each problem opens a
    ledger entry (Y3.6, N16), and the PDF is rendered."""
    report = InspectionReport.objects.select_for_update().get(pk=report.pk)
    if report.status != InspectionReport.Status.TEAM_APPROVED:
        raise ServiceError(_("报告须先经检查组组长审核。"))
    if not user.has_perm("inspections.approve_inspectionreport"):
        raise ServiceError(_("只有分管领导可以审批报告。"))
    if user.pk == report.team_approved_by_id:
        raise ServiceError(_("组长审核和分管领导审批须由不同的人完成。"))
    now = timezone.now()
    report.status, report.approved_by, report.approved_at = (
        InspectionReport.Status.APPROVED,
        user,
        now,
    )
    report.pdf, report.pdf_sha256 = "", ""  # a draft's rendering gives way to the approved one
    report.save()
    document_freeze(report)  # what the PDF shows, frozen now (issue 12 §1)
    task = report.task
    deadline_meet(kind=Deadline.Kind.REPORT, subject=task, at=now)
    deadline_open(
        kind=Deadline.Kind.FEEDBACK,
        subject=task,
        starts_on=timezone.localdate(now),
        workdays=5,
        title=_("%(task)s：向检查对象反馈结果") % {"task": task},
        rule=_("N14：报告完成后 5 个工作日内反馈"),
        responsible=task.applied_by,
        url=reverse("admin:inspections_feedback_add"),
    )
    _ledger_open_for_problems(report, user)
    enqueue_on_commit("inspections.report_pdf_render_task", report.pk, robust=True)
    return report
