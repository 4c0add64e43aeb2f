"""Opening the fieldwork of a draw: one inspection per selected target with the drawn team, and
the deadlines the end of the inspection starts (N13 report, Y3.6/N15 publication)."""

from django.urls import reverse
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from core.deadlines import deadline_open
from core.history import current_history_user
from core.models import Deadline
from inspections.models import Draw, Inspection, InspectionMember, TeamMember


def inspections_open(*, draw: Draw) -> int:
    """Create the inspections of an executed draw (idempotent: a target that already has one is
    skipped); returns how many were created. Called inside draw_execute's transaction."""
    task = draw.task
    existing = set(
        task.inspections.exclude(status=Inspection.Status.CANCELLED).values_list(
            "institution_id", flat=True
        )
    )
    selections = [s for s in draw.selections.order_by("order") if s.institution_id not in existing]
    user = current_history_user()  # once, not for each of thousands of history rows
    inspections = bulk_create_with_history(
        [Inspection(task=task, selection=s, institution_id=s.institution_id) for s in selections],
        Inspection,
        default_user=user,
        batch_size=2000,
    )
    by_selection = {i.selection_id: i for i in inspections}
    members = TeamMember.objects.filter(selection__in=selections).values_list(
        "selection_id", "inspector_id", "position", "borrowed"
    )
    bulk_create_with_history(
        [
            InspectionMember(
                inspection=by_selection[selection_id],
                inspector_id=inspector_id,
                position=position,
                borrowed=borrowed,
            )
            for selection_id, inspector_id, position, borrowed in members
        ],
        InspectionMember,
        default_user=user,
        batch_size=5000,
    )
    _open_deadlines(task)
    return len(inspections)


def _open_deadlines(task) -> None:
    responsible = task.applied_by
    deadline_open(
        kind=Deadline.Kind.REPORT,
        subject=task,
        starts_on=task.ends_on,
        workdays=5,
        title=_("%(task)s：完成抽查报告") % {"task": task},
        rule=_("N13：检查结束后 5 个工作日内完成抽查报告"),
        responsible=responsible,
        url=reverse("admin:inspections_inspectionreport_draft"),
    )
    days = task.jurisdictions.order_by("code").first().publication_deadline_workdays
    deadline_open(
        kind=Deadline.Kind.PUBLICATION,
        subject=task,
        starts_on=task.ends_on,
        workdays=days,
        title=_("%(task)s：公开抽查结果") % {"task": task},
        rule=_("Y3.6、N15：任务结束后 %(n)s 个工作日内公开") % {"n": days},
        responsible=responsible,
        url=reverse("admin:publication_resultnotice_add"),
    )
