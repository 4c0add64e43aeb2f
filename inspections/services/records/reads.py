"""Reads of the check records: who may see which inspection (`inspections_of`), who acts on it
(`inspection_member`), what it checks (N9) and what the tablet holds of its record."""

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ServiceError
from inspections.models import (
    CheckRecord,
    Inspection,
    InspectionMember,
    InspectionTask,
    PlanSection,
)
from registry.models import CheckItem

# The fields of a record an inspector edits, with their kind; everything else is the system's.
RECORD_TEXT_FIELDS = {
    "place": 200,
    "statement": None,
    "questions": None,
    "representative_name": 50,
    "representative_title": 50,
    "summary": None,
}
RECORD_BOOL_FIELDS = ("certificates_shown", "rights_told", "representative_refused")
RECORD_FIELDS = ("inspected_on", *RECORD_TEXT_FIELDS, *RECORD_BOOL_FIELDS)
ITEM_FIELDS = ("outcome", "not_applicable_reason", "finding", "method")


def inspections_of(user) -> QuerySet[Inspection]:
    """The inspections whose team `user` is on (through their inspector account); nothing for
    anyone else. Every /inspect/ URL is looked up through this, so others get 404."""
    if not getattr(user, "is_authenticated", False):
        return Inspection.objects.none()
    # One row per inspection: an account has one inspector, who is on a team once.
    return Inspection.objects.filter(members__inspector__user=user)


def inspection_member(*, inspection: Inspection, user) -> InspectionMember:
    """The user's place on the inspection's team, or a ServiceError."""
    member = (
        InspectionMember.objects.select_related("inspector")
        .filter(inspection=inspection, inspector__user=user)
        .first()
        if getattr(user, "is_authenticated", False)
        else None
    )
    if member is None:
        raise ServiceError(_("您不是该检查组的成员，不能办理这次检查。"), code="not_member")
    return member


def task_check_items(task: InspectionTask) -> QuerySet[CheckItem]:
    """N9: the content of an inspection is every item of its plan section (the plan holds every
    active item of the sector); a task outside a plan takes the sector's active items."""
    if task.plan_round_id:
        return task.plan_round.section.check_items.all()
    return CheckItem.objects.filter(sector=task.sector_id).active_on(task.starts_on)


def check_items_count_subquery() -> Subquery:
    """How many check items an inspection's task has (its plan section's), for list annotations."""
    through = PlanSection.check_items.through
    return Subquery(
        through.objects.filter(plansection_id=OuterRef("task__plan_round__section_id"))
        .order_by()
        .values("plansection_id")
        .annotate(n=Count("*"))
        .values("n")
    )


def record_latest(inspection: Inspection) -> CheckRecord | None:
    """The newest version of the inspection's record (a correction supersedes what it corrects)."""
    return inspection.records.order_by("-version").first()


def record_state(record: CheckRecord) -> dict:
    """What the tablet holds of a record: its fields and items as the form shows them, and the
    revision they are at (the autosave's answer)."""
    fields = {name: getattr(record, name) for name in RECORD_FIELDS}
    fields["inspected_on"] = record.inspected_on.isoformat() if record.inspected_on else ""
    return {
        "id": record.pk,
        "version": record.version,
        "status": record.status,
        "revision": record.revision,
        "saved_at": timezone.localtime(record.updated_at).isoformat(),
        "fields": fields,
        "items": {
            str(item.pk): {name: getattr(item, name) for name in ITEM_FIELDS}
            for item in record.items.all()
        },
    }
