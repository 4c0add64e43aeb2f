"""Publishing the results (Y3.6, N15): a notice per inspected target of an approved report, its
corrections (new versions) and withdrawals (with a reason, never a silent delete), the log of
every publication, and the deadline met by publishing."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.deadlines import deadline_meet
from core.exceptions import ServiceError
from core.ledgers import publication_log
from core.models import Deadline, Publication
from inspections.models import CheckRecordItem, InspectionReport, TargetResult
from inspections.services import latest_records
from publication.models import ResultNotice

# What a withholding may cover (Y3.6 "除依法依规不适合公开"): never the target, the result category
# or the authority, which are the point of the notice.
WITHHOLDABLE = ("findings", "case_number", "receiving_authority", "inspectors")


def _snapshot(result: TargetResult) -> dict:
    """The public content of a result, as of now (Y3.6)."""
    inspection = result.inspection
    institution = inspection.institution
    task = inspection.task
    record = latest_records(task).get(inspection.pk)
    items = record.items.all() if record else []
    day = record.inspected_on if record and record.inspected_on else None
    members = inspection.members.select_related("inspector").order_by("position")
    problems = [i for i in items if i.outcome == CheckRecordItem.Outcome.PROBLEM]
    return {
        "target_name": institution.name,
        "credit_code": institution.credit_code,
        "sector": task.sector,
        "jurisdiction": institution.jurisdiction,
        "year": (day or task.starts_on).year,
        "task_name": task.name,
        "items": [
            {
                "code": i.check_item.code,
                "name": i.check_item.name,
                "content": i.check_item.content,
                "legal_basis": i.check_item.legal_basis,
            }
            for i in items
        ],
        "category": result.category,
        "case_number": result.case_number,
        "receiving_authority": result.receiving_authority,
        "findings": "\n".join(f"{i.check_item.name}：{i.finding}" for i in problems),
        "inspected_from": day or result.report.inspected_from,
        "inspected_to": day or result.report.inspected_to,
        "authority": settings.BUREAU_NAME,
        "inspectors": [
            {"name": m.inspector.name, "certificate": m.inspector.certificate_number}
            for m in members
        ],
    }


def _withhold(content: dict, withheld: dict[str, str] | None) -> dict:
    withheld = {k: (v or "").strip() for k, v in (withheld or {}).items()}
    for field, reason in withheld.items():
        if field not in WITHHOLDABLE:
            raise ServiceError(_("“%(f)s”不能不予公开。") % {"f": field})
        if not reason:
            raise ServiceError(_("不予公开的内容须写明依据或理由（Y3.6）。"))
        content[field] = [] if field == "inspectors" else ""
    content["withheld"] = withheld
    return content


def _log(notice: ResultNotice, action: str, user, note: str = "") -> None:
    publication_log(
        kind=Publication.Kind.RESULT,
        subject=notice,
        title=str(notice),
        action=action,
        user=user,
        note=note,
    )


def _publication_deadline(task) -> Deadline | None:
    return Deadline.objects.filter(
        kind=Deadline.Kind.PUBLICATION,
        subject_type=ContentType.objects.get_for_model(task),
        subject_id=task.pk,
    ).first()


def _after_publishing(notice: ResultNotice) -> None:
    """Queue it for the credit platform in the same transaction: committed together or not at all
    (the sending itself follows the commit)."""
    from publication.feed import feed_enqueue

    feed_enqueue(notice_id=notice.pk, action="publish")


@transaction.atomic
def notice_publish(
    *, result: TargetResult, user, withheld: dict[str, str] | None = None
) -> ResultNotice:
    """Publish a target's result. Only results of approved reports (N10(5)); late publication is
    possible and recorded as late; the task's publication deadline is met once every result of
    it is published (Y3.6: 20 working days, N15: 10 — the jurisdiction's setting)."""
    result = (
        TargetResult.objects.select_for_update().select_related("report__task").get(pk=result.pk)
    )
    report = result.report
    if report.status != InspectionReport.Status.APPROVED:
        raise ServiceError(_("抽查报告经分管领导批准后，结果才能公开（N10(5)）。"))
    if result.notices.exists():
        raise ServiceError(_("该结果已经公开过；修改请用“更正”，撤回须说明理由。"))
    now = timezone.now()
    deadline = _publication_deadline(report.task)
    notice = ResultNotice.objects.create(
        result=result,
        published_at=now,
        published_by=user,
        late=bool(deadline and deadline.due_on and timezone.localdate(now) > deadline.due_on),
        **_withhold(_snapshot(result), withheld),
    )
    _log(notice, "publish", user)
    unpublished = report.results.filter(notices__isnull=True)
    if not unpublished.exists():
        deadline_meet(kind=Deadline.Kind.PUBLICATION, subject=report.task, at=now)
    _after_publishing(notice)
    return notice


@transaction.atomic
def notice_publish_all(
    *, report: InspectionReport, user, withheld: dict[str, str] | None = None
) -> list[ResultNotice]:
    """Publish every result of an approved report that is not yet published."""
    return [
        notice_publish(result=result, user=user, withheld=withheld)
        for result in report.results.filter(notices__isnull=True).order_by("pk")
    ]


@transaction.atomic
def notice_correct(
    *,
    notice: ResultNotice,
    user,
    reason: str,
    findings: str | None = None,
    withheld: dict[str, str] | None = None,
) -> ResultNotice:
    """A correction is a new version, taken afresh from the result (with the findings as edited and
    the withholdings given); the earlier version is kept, marked superseded."""
    notice = ResultNotice.objects.select_for_update().get(pk=notice.pk)
    if notice.status != ResultNotice.Status.PUBLISHED:
        raise ServiceError(_("只能更正当前公开的版本。"))
    if not reason.strip():
        raise ServiceError(_("更正须说明理由。"))
    content = _snapshot(notice.result)
    if findings is not None:
        content["findings"] = findings
    content = _withhold(content, notice.withheld if withheld is None else withheld)
    notice.status = ResultNotice.Status.SUPERSEDED
    notice.save(update_fields=["status"])
    new = ResultNotice.objects.create(
        result=notice.result,
        version=notice.version + 1,
        published_at=timezone.now(),
        published_by=user,
        late=notice.late,
        correction_reason=reason.strip(),
        **content,
    )
    _log(new, "correct", user, reason)
    _after_publishing(new)
    return new


@transaction.atomic
def notice_withdraw(*, notice: ResultNotice, user, reason: str) -> ResultNotice:
    """Withdraw a notice from the public: only with a reason, never deleted; the credit platform
    is told as well."""
    notice = ResultNotice.objects.select_for_update().get(pk=notice.pk)
    if notice.status != ResultNotice.Status.PUBLISHED:
        raise ServiceError(_("只能撤回当前公开的版本。"))
    if not reason.strip():
        raise ServiceError(_("撤回须说明理由。"))
    notice.status = ResultNotice.Status.WITHDRAWN
    notice.withdrawn_at, notice.withdrawn_by = timezone.now(), user
    notice.withdrawal_reason = reason.strip()
    notice.save()
    _log(notice, "withdraw", user, reason)
    from publication.feed import feed_enqueue

    feed_enqueue(notice_id=notice.pk, action="withdraw")
    return notice
