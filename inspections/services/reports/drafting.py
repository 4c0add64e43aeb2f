"""The inspection report drafted from the submitted check records (N13), edited by the enforcing
office while a draft, with each target's result (Y3.6)."""

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from core.exceptions import ServiceError
from core.history import current_history_user
from inspections.models import (
    CheckRecord,
    CheckRecordItem,
    Inspection,
    InspectionReport,
    InspectionTask,
    TargetResult,
)

Outcome = CheckRecordItem.Outcome
Category = TargetResult.Category


def latest_records(task: InspectionTask) -> dict[int, CheckRecord]:
    """The latest version of each inspection's check record (corrections supersede), by
    inspection id, with items and their check items loaded."""
    records = (
        CheckRecord.objects.filter(inspection__task=task)
        .exclude(inspection__status=Inspection.Status.CANCELLED)
        .order_by("inspection_id", "version")
        .prefetch_related(
            Prefetch("items", queryset=CheckRecordItem.objects.select_related("check_item"))
        )
    )
    latest = {}
    for record in records:
        latest[record.inspection_id] = record  # ordered by version: the last one stays
    return latest


def _live_inspections(task: InspectionTask):
    return task.inspections.exclude(status=Inspection.Status.CANCELLED).select_related(
        "institution"
    )


def _problems(record: CheckRecord) -> list[CheckRecordItem]:
    return [i for i in record.items.all() if i.outcome == Outcome.PROBLEM]


@transaction.atomic
def report_draft(*, task: InspectionTask, user) -> InspectionReport:
    """Draft the report from the submitted check records, with what N13 requires: the time, the
    content, the number of targets, the findings, an evaluation of each target and the handling
    opinions (to be completed by the office). Every inspection must have a submitted record."""
    task = InspectionTask.objects.select_for_update().get(pk=task.pk)
    if hasattr(task, "report"):
        raise ServiceError(_("该任务已有抽查报告。"))
    inspections = list(_live_inspections(task))
    if not inspections:
        raise ServiceError(_("该任务还没有检查对象，无法起草报告。"))
    records = latest_records(task)
    missing = [
        str(i.institution)
        for i in inspections
        if i.pk not in records or records[i.pk].status != CheckRecord.Status.SUBMITTED
    ]
    if missing:
        raise ServiceError(
            _("以下检查对象的检查记录尚未提交，不能起草报告：%(names)s")
            % {"names": "、".join(missing)}
        )
    days = [r.inspected_on for r in records.values() if r.inspected_on]
    items = task.plan_round.section.check_items.order_by("code") if task.plan_round else []
    report = InspectionReport.objects.create(
        task=task,
        inspected_from=min(days, default=task.starts_on),
        inspected_to=max(days, default=task.ends_on),
        content="\n".join(f"{i.code} {i.name}（{i.legal_basis}）" for i in items),
        target_count=len(inspections),
        findings=_findings_text(inspections, records),
        evaluation=_("本次共检查 %(n)s 家，其中 %(p)s 家发现问题。")
        % {"n": len(inspections), "p": sum(1 for r in records.values() if _problems(r))},
        drafted_by=user,
        drafted_at=timezone.now(),
    )
    bulk_create_with_history(
        [
            TargetResult(
                report=report,
                inspection=inspection,
                # Nothing found: no violation (Y3.6). Otherwise the office decides the category.
                category="" if _problems(records[inspection.pk]) else Category.NO_VIOLATION,
                evaluation=_evaluation_text(records[inspection.pk]),
            )
            for inspection in inspections
        ],
        TargetResult,
        default_user=current_history_user(),
    )
    return report


def _findings_text(inspections, records) -> str:
    lines = []
    for inspection in inspections:
        for item in _problems(records[inspection.pk]):
            lines.append(f"{inspection.institution}：{item.check_item.name}——{item.finding}")
    return "\n".join(lines) or _("未发现问题。")


def _evaluation_text(record: CheckRecord) -> str:
    counts = dict.fromkeys(Outcome.values, 0)
    for item in record.items.all():
        counts[item.outcome] = counts.get(item.outcome, 0) + 1
    return _("检查 %(n)s 项：符合要求 %(ok)s 项，发现问题 %(p)s 项，不适用 %(na)s 项。") % {
        "n": sum(counts.values()),
        "ok": counts[Outcome.COMPLIANT],
        "p": counts[Outcome.PROBLEM],
        "na": counts[Outcome.NOT_APPLICABLE],
    }


def _draft_only(report: InspectionReport) -> InspectionReport:
    report = InspectionReport.objects.select_for_update().get(pk=report.pk)
    if report.status != InspectionReport.Status.DRAFT:
        raise ServiceError(_("报告已进入审批，不能再修改。"))
    return report


REPORT_TEXT_FIELDS = (
    "inspected_from",
    "inspected_to",
    "content",
    "findings",
    "evaluation",
    "handling",
)


@transaction.atomic
def report_update(*, report: InspectionReport, user, **fields) -> InspectionReport:
    """The enforcing office edits the draft (N13)."""
    report = _draft_only(report)
    unknown = set(fields) - set(REPORT_TEXT_FIELDS)
    if unknown:
        raise ServiceError(_("不能修改的字段：%(f)s") % {"f": "、".join(sorted(unknown))})
    for name, value in fields.items():
        setattr(report, name, value)
    if report.inspected_to < report.inspected_from:
        raise ServiceError(_("检查结束日期不能早于开始日期。"))
    report.save()
    return report


@transaction.atomic
def result_set(
    *,
    result: TargetResult,
    category: str,
    case_number: str = "",
    receiving_authority: str = "",
    evaluation: str | None = None,
    handling: str | None = None,
) -> TargetResult:
    """A target's result: one of the three categories of Y3.6, with the case number when a case
    was filed, or the receiving authority when transferred."""
    _draft_only(result.report)
    result = TargetResult.objects.select_for_update().get(pk=result.pk)
    name = str(result.inspection.institution)
    if category not in Category.values:
        raise ServiceError(_("%(name)s：请选择检查结果。") % {"name": name})
    case_number, receiving_authority = case_number.strip(), receiving_authority.strip()
    if category == Category.CASE_FILED and not case_number:
        raise ServiceError(_("%(name)s：已立案的须填写立案号。") % {"name": name})
    if category == Category.TRANSFERRED and not receiving_authority:
        raise ServiceError(_("%(name)s：已移送的须填写接收移送的机关。") % {"name": name})
    if category != Category.NO_VIOLATION:
        record = latest_records(result.report.task).get(result.inspection_id)
        if record is None or not _problems(record):
            raise ServiceError(
                _("%(name)s：检查记录中没有发现问题，结果只能是“未发现违法行为”。") % {"name": name}
            )
    result.category = category
    result.case_number = case_number if category == Category.CASE_FILED else ""
    result.receiving_authority = receiving_authority if category == Category.TRANSFERRED else ""
    if evaluation is not None:
        result.evaluation = evaluation
    if handling is not None:
        result.handling = handling
    result.save()
    return result
