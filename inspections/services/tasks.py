"""Inspection tasks and their approval by the unit head (N10(1)). A random task carries out one
round of the published plan: it starts from that round's section — ratios, team size, dates — and
may ask more of the draw than the plan, never less (N8, N11, Y3.4)."""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.exceptions import ServiceError
from inspections.models import AnnualPlan, InspectionTask, PlanRound

RATIO_FIELDS = {
    "ratio_key": gettext_lazy("重点对象"),
    "ratio_normal": gettext_lazy("一般对象"),
    "ratio_reduced": gettext_lazy("降低频次对象"),
}


def _percent(value: Decimal) -> str:
    """10.00 → "10", 2.50 → "2.5": the figure as a person writes it."""
    return format(Decimal(value).normalize(), "f")


def task_round_defaults(*, plan_round: PlanRound) -> dict:
    """What a random task for this round starts from: the plan's section and the round's dates."""
    section = plan_round.section
    plan = section.plan
    return {
        "name": _("%(year)s 年%(sector)s行业第 %(n)s 批双随机抽查")
        % {"year": plan.year, "sector": section.sector, "n": plan_round.number},
        "kind": InspectionTask.Kind.RANDOM,
        "plan_round": plan_round,
        "sector": section.sector,
        "jurisdictions": [plan.jurisdiction],
        "starts_on": plan_round.starts_on,
        "ends_on": plan_round.ends_on,
        "team_size": section.team_size,
        "ratio_key": section.ratio_key,
        "ratio_normal": section.ratio_normal,
        "ratio_reduced": section.ratio_reduced,
    }


def task_plan_problems(*, task: InspectionTask) -> dict[str, str]:
    """Where a random task falls short of its round of the plan, by field: a ratio or team size
    below the plan's (N8, N11), dates outside the round's (Y3.4: the time of each inspection is
    the published plan's; another time needs a published revision), another sector. Empty when
    the task keeps to its plan, or is not a random task of a plan round."""
    if task.kind != InspectionTask.Kind.RANDOM or task.plan_round_id is None:
        return {}
    plan_round = PlanRound.objects.select_related("section__sector").get(pk=task.plan_round_id)
    section = plan_round.section
    problems = {}
    if task.sector_id and task.sector_id != section.sector_id:
        problems["sector"] = _("计划批次属于%(s)s行业，任务的行业须与之一致。") % {
            "s": section.sector
        }
    for field, tier in RATIO_FIELDS.items():
        value, floor = getattr(task, field), getattr(section, field)
        if value is not None and value < floor:
            problems[field] = _(
                "计划规定%(tier)s抽查比例不低于 %(floor)s%%，本任务为 %(value)s%%（N8、Y3.4）。"
            ) % {
                "tier": tier,
                "floor": _percent(floor),
                "value": _percent(value),
            }
    if task.team_size is not None and task.team_size < section.team_size:
        problems["team_size"] = _(
            "计划规定每组不少于 %(floor)s 名执法人员，本任务为 %(value)s 名（N11）。"
        ) % {
            "floor": section.team_size,
            "value": task.team_size,
        }
    window = _(
        "计划第 %(n)s 批检查时间为 %(start)s 至 %(end)s，任务须在此期间内；如需调整，须先登记并发布计划修订（Y3.4）。"
    ) % {"n": plan_round.number, "start": plan_round.starts_on, "end": plan_round.ends_on}
    if task.starts_on and not plan_round.starts_on <= task.starts_on <= plan_round.ends_on:
        problems["starts_on"] = window
    if task.ends_on and not plan_round.starts_on <= task.ends_on <= plan_round.ends_on:
        problems["ends_on"] = window
    return problems


def _refuse_below_plan(task: InspectionTask) -> None:
    problems = task_plan_problems(task=task)
    if problems:
        raise ServiceError("\n".join(problems.values()), code="below_plan")


def task_period_warning(*, task: InspectionTask, on: dt.date | None = None) -> str:
    """Why approving the task, or announcing its draw, on `on` (default today) needs a second
    thought: its period has ended, or more than half of it has gone — little time is left for the
    draw, the visits and the report (N13: within 5 working days after). Empty otherwise."""
    today = on or timezone.localdate()
    period = {"start": task.starts_on, "end": task.ends_on}
    if today > task.ends_on:
        return _("该任务的检查期间（%(start)s 至 %(end)s）已于 %(end)s 结束。") % period
    total = (task.ends_on - task.starts_on).days + 1
    gone = (today - task.starts_on).days
    if gone * 2 > total:
        return _(
            "该任务的检查期间（%(start)s 至 %(end)s）已过去 %(gone)s 天（共 %(total)s 天），只剩 %(left)s 天用于抽取、实地检查和撰写报告。"
        ) % {**period, "gone": gone, "total": total, "left": total - gone}
    return ""


@transaction.atomic
def task_create_for_round(*, plan_round: PlanRound, name: str = "", user=None) -> InspectionTask:
    """A random task for one round of the plan, with the plan's ratios and team size (N10)."""
    plan = AnnualPlan.objects.get(pk=plan_round.section.plan_id)
    if not plan.is_published:
        raise ServiceError(_("年度计划尚未公布，不能据此建立检查任务（Y3.4）。"))
    fields = task_round_defaults(plan_round=plan_round)
    jurisdictions = fields.pop("jurisdictions")
    task = InspectionTask.objects.create(**{**fields, "name": name or fields["name"]})
    task.jurisdictions.set(jurisdictions)
    return task


@transaction.atomic
def task_save(*, task: InspectionTask, user) -> InspectionTask:
    """Save a new or changed draft task (the admin's form): refused where it falls short of its
    plan (task_plan_problems) or comes from a plan not yet published (Y3.4). The jurisdictions
    (many-to-many) are set by the caller after the save."""
    if task.pk:
        status = InspectionTask.objects.filter(pk=task.pk).values_list("status", flat=True).first()
        if status not in (None, InspectionTask.Status.DRAFT, InspectionTask.Status.REJECTED):
            raise ServiceError(_("已提交或已批准的任务不能修改（N10）。"))
    if task.plan_round_id is not None:
        plan = AnnualPlan.objects.get(sections__rounds=task.plan_round_id)
        if not plan.is_published:
            raise ServiceError(_("年度计划尚未公布，不能据此建立检查任务（Y3.4）。"))
    _refuse_below_plan(task)
    task.save()
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
    # Checked again here: a task changed outside the form, or a plan revised since, is caught
    # before the unit head is asked to approve it.
    _refuse_below_plan(task)
    task.status = InspectionTask.Status.SUBMITTED
    task.applied_by, task.applied_at = user, timezone.now()
    task.save()
    return task


@transaction.atomic
def task_decide(
    *, task: InspectionTask, user, approve: bool, note: str = "", late_reason: str = ""
) -> InspectionTask:
    """N10(1): the unit head approves (or rejects) the application before any draw. A task whose
    period has ended or mostly gone (task_period_warning) is approved only with `late_reason`,
    kept with the approval (Y4(2): who approved what, when, and why); it is ignored otherwise."""
    if not user.has_perm("inspections.approve_inspectiontask"):
        raise ServiceError(_("只有单位负责人可以审批检查任务。"))
    task = InspectionTask.objects.select_for_update().get(pk=task.pk)
    if task.status != InspectionTask.Status.SUBMITTED:
        raise ServiceError(_("该任务不在待审批状态。"))
    if approve and task.applied_by_id == user.pk:
        raise ServiceError(_("申请人不能审批自己提交的任务。"))
    warning = task_period_warning(task=task) if approve else ""
    if warning and not late_reason.strip():
        raise ServiceError(
            warning + _("如确需批准（例如补做该批次），请确认并写明理由。"), code="period_passed"
        )
    task.status = InspectionTask.Status.APPROVED if approve else InspectionTask.Status.REJECTED
    task.approved_by, task.approved_at, task.approval_note = user, timezone.now(), note
    task.late_reason = late_reason.strip() if warning else ""
    task.save()
    return task
