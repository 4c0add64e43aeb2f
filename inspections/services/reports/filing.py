"""The filing with the legal-affairs office that closes the task (N10(6)), with the archive's
manifest kept so what was filed can be proven later; and each task's progress towards it."""

import tempfile

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ServiceError
from inspections.models import Filing, Inspection, InspectionTask
from inspections.services.reports.drafting import _live_inspections


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
