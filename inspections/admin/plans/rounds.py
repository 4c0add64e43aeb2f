"""A section's rounds with their dates (Y3.4, N7); once the plan is published, each lists its
tasks and offers a new one started from the plan (N8, N10, N11)."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from inspections.admin.plans.check import plan_editable
from inspections.models import PlanRound


def may_add_tasks(request) -> bool:
    return request.user.has_perm("inspections.add_inspectiontask")


def task_for_round_link(plan_round: PlanRound) -> str:
    """The task add page filled in from this round of the published plan."""
    url = reverse("admin:inspections_inspectiontask_add") + f"?plan_round={plan_round.pk}"
    return format_html('<a href="{}" class="insp-nowrap">{}</a>', url, gettext("为本批次创建任务"))


class PlanRoundInline(admin.TabularInline):
    model = PlanRound
    fields = ["number", "starts_on", "ends_on"]
    readonly_fields = ["tasks_display"]
    extra = 0

    def get_fields(self, request, obj=None):
        # A published plan's rounds are carried out by tasks (N10): each round lists its tasks and
        # offers a new one, started from the plan (N8, N11, Y3.4).
        if obj is not None and obj.plan.is_published and may_add_tasks(request):
            return [*self.fields, "tasks_display"]
        return self.fields

    @admin.display(description=_("检查任务"))
    def tasks_display(self, obj):
        if not obj.pk:
            return "—"
        tasks = format_html_join(
            mark_safe("<br>"),
            '<a href="{}">{}</a>（{}）',
            (
                (
                    reverse("admin:inspections_inspectiontask_change", args=[t.pk]),
                    t.name,
                    t.get_status_display(),
                )
                for t in obj.tasks.order_by("pk")
            ),
        )
        link = task_for_round_link(obj)
        return format_html("{}<br>{}", tasks, link) if tasks else link

    def has_add_permission(self, request, obj=None):
        editable = obj is None or plan_editable(obj.plan)
        return editable and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        editable = obj is None or plan_editable(obj.plan)
        return editable and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        editable = obj is None or plan_editable(obj.plan)
        return editable and super().has_delete_permission(request, obj)
