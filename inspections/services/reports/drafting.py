"""After the visits: the inspection report and each target's result (N13, N10(5), Y3.6), the
feedback to each target (N14), the follow-up ledger (Y3.6, N16) and the filing with the
legal-affairs office that closes the task (N10(6))."""

import datetime as dt
import tempfile

from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from core.deadlines import deadline_meet, deadline_open
from core.exceptions import ServiceError
from core.history import current_history_user
from core.models import Deadline
from inspections.models import (
    CheckRecord,
    CheckRecordItem,
    Feedback,
    Filing,
    Inspection,
    InspectionReport,
    InspectionTask,
    LedgerEntry,
    TargetResult,
)
from inspections.services.documents import document_freeze
from inspections.tasks import feedback_letter_render_task, report_pdf_render_task

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
    transaction.on_commit(lambda: report_pdf_render_task.delay(report.pk), robust=True)
    return report


def _ledger_open_for_problems(report: InspectionReport, user) -> None:
    """Each problem found opens a ledger entry: as the target's result says — case filed,
    transferred, or otherwise rectification ordered (Y3.6, N16)."""
    records = latest_records(report.task)
    kinds = {
        Category.CASE_FILED: LedgerEntry.Kind.CASE_FILED,
        Category.TRANSFERRED: LedgerEntry.Kind.TRANSFERRED,
    }
    entries = []
    opened = set(
        LedgerEntry.objects.filter(inspection__task=report.task).values_list("item_id", flat=True)
    )
    for result in report.results.select_related("inspection"):
        for item in _problems(records[result.inspection_id]):
            if item.pk in opened:
                continue
            entries.append(
                LedgerEntry(
                    inspection=result.inspection,
                    item=item,
                    kind=kinds.get(result.category, LedgerEntry.Kind.RECTIFICATION),
                    case_number=result.case_number,
                    transferred_to=result.receiving_authority,
                    created_by=user,
                )
            )
    bulk_create_with_history(entries, LedgerEntry, default_user=current_history_user())


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
    transaction.on_commit(lambda: feedback_letter_render_task.delay(feedback.pk), robust=True)
    return feedback


@transaction.atomic
def ledger_update(
    *,
    entry: LedgerEntry,
    user,
    kind: str | None = None,
    case_number: str | None = None,
    transferred_to: str | None = None,
    suspected_crime: bool | None = None,
    due_on: dt.date | None = None,
) -> LedgerEntry:
    """How a problem is followed up (Y3.6, N16): suspected crimes go to the judicial organs."""
    entry = LedgerEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.is_closed:
        raise ServiceError(_("该台账已销号，不能修改。"))
    for name, value in {
        "kind": kind,
        "case_number": case_number,
        "transferred_to": transferred_to,
        "suspected_crime": suspected_crime,
        "due_on": due_on,
    }.items():
        if value is not None:
            setattr(entry, name, value)
    _ledger_check(entry)
    entry.save()
    return entry


def _ledger_check(entry: LedgerEntry) -> None:
    if entry.kind not in LedgerEntry.Kind.values:
        raise ServiceError(_("请选择处理方式。"))
    if entry.suspected_crime and entry.kind != LedgerEntry.Kind.TRANSFERRED:
        raise ServiceError(_("涉嫌犯罪的，须移送司法机关（N16）：处理方式应为“移送处理”。"))
    if entry.kind == LedgerEntry.Kind.TRANSFERRED and not entry.transferred_to.strip():
        raise ServiceError(_("移送处理须写明接收机关。"))
    if entry.kind == LedgerEntry.Kind.CASE_FILED and not entry.case_number.strip():
        raise ServiceError(_("立案查处须填写立案号。"))


@transaction.atomic
def ledger_close(
    *,
    entry: LedgerEntry,
    user,
    closed_on: dt.date,
    rectification: str = "",
    evidence=None,
    note: str = "",
) -> LedgerEntry:
    """Close an entry (销号): a rectification needs what was done (text or material)."""
    entry = LedgerEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.is_closed:
        raise ServiceError(_("该台账已销号。"))
    _ledger_check(entry)
    if entry.kind == LedgerEntry.Kind.RECTIFICATION and not (
        rectification.strip() or evidence or entry.evidence
    ):
        raise ServiceError(_("责令整改的，须填写整改情况或上传整改材料后才能销号。"))
    if closed_on > timezone.localdate():
        raise ServiceError(_("销号日期不能晚于今天。"))
    entry.closed_on, entry.closing_note = closed_on, note
    if rectification:
        entry.rectification = rectification
    if evidence:
        entry.evidence = evidence
    entry.save()
    return entry


def filing_blockers(task: InspectionTask) -> list[str]:
    """Why the task cannot be filed yet (empty when it can)."""
    report = getattr(task, "report", None)
    if report is None or not report.is_approved:
        return [_("抽查报告尚未经分管领导批准（N10(5)）。")]
    waiting = _live_inspections(task).filter(feedback__isnull=True)
    return [_("%(name)s：尚未登记结果反馈（N14）。") % {"name": i.institution} for i in waiting]


@transaction.atomic
def filing_submit(*, task: InspectionTask, user, note: str = "") -> Filing:
    """N10(6): the task is filed with the legal-affairs office, which closes it. The archive's
    manifest hash is kept with the filing, so what was filed can be proven later."""
    task = InspectionTask.objects.select_for_update().get(pk=task.pk)
    if hasattr(task, "filing"):
        raise ServiceError(_("该任务已经备案。"))
    blockers = filing_blockers(task)
    if blockers:
        raise ServiceError(_("还不能备案：%(why)s") % {"why": "；".join(blockers)})
    # Y3.5: archived completely; the hash of what was filed, provable later with export_archive.
    # (Imported here: the archive reads the draws, whose services log through publication.)
    from inspections.services.archive import archive_build, manifest_of

    with tempfile.TemporaryFile() as scratch:
        archived = archive_build(task=task, file=scratch)
    return Filing.objects.create(
        task=task,
        filed_by=user,
        filed_at=timezone.now(),
        note=note,
        manifest_sha256=archived.manifest_sha256,
        manifest_json=manifest_of(archived),
    )


@transaction.atomic
def filing_receive(*, filing: Filing, user) -> Filing:
    """The legal-affairs office acknowledges the filing."""
    if not user.has_perm("inspections.change_filing"):
        raise ServiceError(_("只有法制机构可以接收备案。"))
    filing = Filing.objects.select_for_update().get(pk=filing.pk)
    if filing.received_at:
        raise ServiceError(_("该备案已接收。"))
    if filing.filed_by_id == user.pk:
        raise ServiceError(_("报送人不能自己接收备案。"))
    filing.received_by, filing.received_at = user, timezone.now()
    filing.save()
    return filing


def task_progress(tasks) -> dict[int, dict]:
    """Per task: inspections, submitted records, results decided, feedback given, open ledger
    entries — for the office's lists (one query per figure, whatever the number of tasks)."""
    live = ~Q(inspections__status=Inspection.Status.CANCELLED)
    rows = InspectionTask.objects.filter(pk__in=[t.pk for t in tasks]).annotate(
        n_inspections=Count("inspections", filter=live, distinct=True),
        n_submitted=Count(
            "inspections", filter=live & Q(inspections__status="submitted"), distinct=True
        ),
        n_feedback=Count("inspections__feedback", filter=live, distinct=True),
        n_open_ledger=Count(
            "inspections__ledger_entries",
            filter=Q(inspections__ledger_entries__closed_on__isnull=True),
            distinct=True,
        ),
    )
    return {
        r.pk: {
            "inspections": r.n_inspections,
            "submitted": r.n_submitted,
            "feedback": r.n_feedback,
            "open_ledger": r.n_open_ledger,
        }
        for r in rows
    }
