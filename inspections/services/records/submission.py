"""Submitting a check record once every rule holds (N9 every item, Y3.5 the procedure, Y3.3/N11
two eligible signers), then locked; its PDF is rendered in the background."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ServiceError
from core.queue import enqueue_on_commit
from inspections.models import CheckRecord, CheckRecordItem, Inspection, Signature
from inspections.services.documents import document_freeze
from inspections.services.records.lifecycle import _draft_locked

MIN_SIGNERS = 2  # Y3.3, N11: at least two enforcement officers

Outcome = CheckRecordItem.Outcome


class RecordIncomplete(ServiceError):
    """The record cannot be submitted; `problems` says each thing missing, one sentence each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(_("检查记录还不能提交：") + "；".join(problems), code="record_incomplete")
        self.problems = problems


def record_problems(record: CheckRecord) -> list[str]:
    """Everything that keeps a draft from being submitted, each naming the item or field."""
    problems = []
    today = timezone.localdate()
    if record.inspected_on is None:
        problems.append(_("请填写检查日期。"))
    elif record.inspected_on > today:
        problems.append(_("检查日期 %(d)s 晚于今天。") % {"d": record.inspected_on})
    problems += _item_problems(record)
    problems += _procedure_problems(record)
    problems += _signer_problems(record)
    return problems


def _item_problems(record: CheckRecord) -> list[str]:
    problems = []
    for item in record.items.select_related("check_item").order_by("order"):
        label = {"n": item.order, "item": item.check_item.name}
        if not item.outcome:
            # N9: no item of the list may be left out
            problems.append(_("第 %(n)s 项“%(item)s”还没有检查结果（N9）。") % label)
        elif item.outcome == Outcome.NOT_APPLICABLE and not item.not_applicable_reason.strip():
            problems.append(_("第 %(n)s 项“%(item)s”选择了不适用，请写明理由（N9）。") % label)
        elif item.outcome == Outcome.PROBLEM and not item.finding.strip():
            problems.append(_("第 %(n)s 项“%(item)s”发现问题，请记录具体问题。") % label)
        if item.outcome in (Outcome.COMPLIANT, Outcome.PROBLEM) and not item.method:
            problems.append(_("第 %(n)s 项“%(item)s”请选择检查方式（Y3.5）。") % label)
    return problems


def _procedure_problems(record: CheckRecord) -> list[str]:
    """Y3.5: certificates shown, rights and duties told, the representative's signature or the
    note that they refused."""
    problems = []
    if not record.certificates_shown:
        problems.append(_("请确认已向被检查对象出示执法证件（Y3.5）。"))
    if not record.rights_told:
        problems.append(_("请确认已告知被检查对象的权利和义务（Y3.5）。"))
    signed = record.signatures.filter(role=Signature.Role.REPRESENTATIVE).exists()
    if not signed and not record.representative_refused:
        problems.append(
            _("被检查对象到场人员尚未签名；如其拒绝签字，请勾选“到场人员拒绝签字”（Y3.5）。")
        )
    return problems


def _signer_problems(record: CheckRecord) -> list[str]:
    """Y3.3, N11: at least two team members with a valid enforcement certificate for the sector on
    the inspection date have signed."""
    day = record.inspected_on
    if day is None:
        return []
    sector = record.inspection.task.sector
    team = set(record.inspection.members.values_list("inspector_id", flat=True))
    signers = [
        s.inspector
        for s in record.signatures.filter(role=Signature.Role.INSPECTOR)
        .select_related("inspector")
        .prefetch_related("inspector__sectors")
        if s.inspector_id in team
    ]
    eligible = [i for i in signers if i.eligible_on(day, sector)]
    if len(eligible) >= MIN_SIGNERS:
        return []
    problems = [
        _(
            "至少需要 %(min)s 名在检查日期（%(day)s）具有执法资格的检查组成员签名，目前只有 %(n)s 名（Y3.3、N11）。"
        )
        % {"min": MIN_SIGNERS, "day": day, "n": len(eligible)}
    ]
    for inspector in signers:
        reasons = inspector.ineligibility_reasons(day, sector)
        if reasons:
            problems.append(
                _("%(name)s 的签名不计入：%(why)s。")
                % {"name": inspector.name, "why": "、".join(reasons)}
            )
    return problems


@transaction.atomic
def record_submit(*, record: CheckRecord, user) -> CheckRecord:
    """Submit a draft once every rule holds (N9, Y3.5, Y3.3/N11), then lock it: the record and
    the inspection are submitted, and its PDF is rendered in the background."""
    record = _draft_locked(record, user)
    problems = record_problems(record)
    if problems:
        raise RecordIncomplete(problems)
    record.status = CheckRecord.Status.SUBMITTED
    record.submitted_at = timezone.now()
    record.submitted_by = user
    record.save(update_fields=["status", "submitted_at", "submitted_by", "updated_at"])
    document_freeze(record)  # what the PDF shows, frozen now (issue 12 §1)
    inspection = record.inspection
    inspection.status = Inspection.Status.SUBMITTED
    inspection.save(update_fields=["status"])
    enqueue_on_commit("inspections.record_pdf_render_task", record.pk, robust=True)
    return record
