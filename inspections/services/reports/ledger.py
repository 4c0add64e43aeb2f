"""The follow-up ledger (Y3.6, N16): an entry per problem found, opened by the report's approval,
followed up (case filed, transferred, rectification) and closed (销号)."""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from core.exceptions import ServiceError
from core.history import current_history_user
from inspections.models import InspectionReport, LedgerEntry
from inspections.services.reports.drafting import Category, _problems, latest_records


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
