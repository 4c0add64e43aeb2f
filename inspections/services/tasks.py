"""Inspection tasks and their approval by the unit head (N10(1))."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ServiceError
from inspections.models import AnnualPlan, InspectionTask, PlanRound


@transaction.atomic
def task_create_for_round(*, plan_round: PlanRound, name: str = "", user=None) -> InspectionTask:
    """A random task for one round of the plan, with the plan's ratios and team size (N10)."""
    section = plan_round.section
    plan = AnnualPlan.objects.get(pk=section.plan_id)
    if not plan.is_published:
        raise ServiceError(_("年度计划尚未公布，不能据此建立检查任务（Y3.4）。"))
    task = InspectionTask.objects.create(
        name=name
        or _("%(year)s 年%(sector)s行业第 %(n)s 批双随机抽查")
        % {"year": plan.year, "sector": section.sector, "n": plan_round.number},
        kind=InspectionTask.Kind.RANDOM,
        plan_round=plan_round,
        sector=section.sector,
        starts_on=plan_round.starts_on,
        ends_on=plan_round.ends_on,
        team_size=section.team_size,
        ratio_key=section.ratio_key,
        ratio_normal=section.ratio_normal,
        ratio_reduced=section.ratio_reduced,
    )
    task.jurisdictions.set([plan.jurisdiction])
    return task


@transaction.atomic
def task_submit(*, task: InspectionTask, user) -> InspectionTask:
    task = InspectionTask.objects.select_for_update().get(pk=task.pk)
    if task.status not in (InspectionTask.Status.DRAFT, InspectionTask.Status.REJECTED):
        raise ServiceError(_("只有草稿或未获批准的任务可以提交审批。"))
    if not task.jurisdictions.exists():
        raise ServiceError(_("请选择任务的辖区。"))
    if task.two_stage and not task.jurisdictions_to_draw:
        raise ServiceError(_("两阶段抽取须填写抽取辖区数（N12）。"))
    task.status = InspectionTask.Status.SUBMITTED
    task.applied_by, task.applied_at = user, timezone.now()
    task.save()
    return task


@transaction.atomic
def task_decide(*, task: InspectionTask, user, approve: bool, note: str = "") -> InspectionTask:
    """N10(1): the unit head approves (or rejects) the application before any draw."""
    if not user.has_perm("inspections.approve_inspectiontask"):
        raise ServiceError(_("只有单位负责人可以审批检查任务。"))
    task = InspectionTask.objects.select_for_update().get(pk=task.pk)
    if task.status != InspectionTask.Status.SUBMITTED:
        raise ServiceError(_("该任务不在待审批状态。"))
    if approve and task.applied_by_id == user.pk:
        raise ServiceError(_("申请人不能审批自己提交的任务。"))
    task.status = InspectionTask.Status.APPROVED if approve else InspectionTask.Status.REJECTED
    task.approved_by, task.approved_at, task.approval_note = user, timezone.now(), note
    task.save()
    return task
