"""The public record of changes to published plans (Y3.4): each revision's schedule (published
within 5 working days, 10 before the affected inspection) and whether it kept it."""

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.exceptions import ServiceError
from inspections.admin.common import LATE, ReadOnlyAdmin
from inspections.models import PlanRevision
from inspections.services.plans import revision_schedule


def _schedule_text(changed_on, affected_starts_on) -> str:
    try:
        return revision_schedule(
            changed_on=changed_on, affected_starts_on=affected_starts_on
        ).explain()
    except ServiceError as exc:  # e.g. no working-day calendar for that year (SPEC §6)
        return str(exc)


def _explain(revision: PlanRevision) -> str:
    return _schedule_text(revision.changed_on, revision.affected_starts_on)


@admin.register(PlanRevision)
class PlanRevisionAdmin(ReadOnlyAdmin):
    """The public record of changes to published plans (Y3.4); registered and published from the
    plan's page, never edited or deleted."""

    list_display = [
        "__str__",
        "changed_on",
        "affected_starts_on",
        "publish_by",
        "published_at",
        "timeliness",
    ]
    list_filter = ["plan"]
    list_select_related = ["plan"]
    fields = [
        "plan",
        "number",
        "reason",
        "summary",
        "changed_on",
        "affected_starts_on",
        "publish_by",
        "schedule",
        "published_at",
        "published_by",
        "created_by",
        "timeliness",
    ]
    readonly_fields = fields

    @admin.display(description=_("期限计算（Y3.4）"))
    def schedule(self, obj):
        return _explain(obj)

    @admin.display(description=_("是否按期"))
    def timeliness(self, obj):
        if obj.published_at is None:
            return gettext("待发布（最迟 %(d)s）") % {"d": obj.publish_by}
        if obj.is_late:
            return format_html('<strong class="{}">{}</strong>', LATE, gettext("逾期发布"))
        return gettext("按期发布")
