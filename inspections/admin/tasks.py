"""Inspection tasks (N10): the office applies, the unit head approves or rejects with a note, and
only then is the task drawn. A submitted or approved task no longer changes."""

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core.exceptions import ServiceError
from inspections.admin.archive import TaskArchiveAdminMixin
from inspections.admin.common import (
    ChangeContextMixin,
    render_page,
    service_call,
    show_service_error,
)
from inspections.admin.forms import (
    DecisionForm,
    InspectionTaskForm,
    TaskFromRoundForm,
    published_rounds,
)
from inspections.models import InspectionTask
from inspections.services.tasks import (
    task_create_for_round,
    task_decide,
    task_period_warning,
    task_round_defaults,
    task_save,
    task_submit,
)

Status = InspectionTask.Status
STATUS_TONES = {
    Status.DRAFT: "tone-plain",
    Status.SUBMITTED: "tone-pending",
    Status.APPROVED: "tone-good",
    Status.REJECTED: "tone-bad",
}
APPROVAL_FIELDS = ["status", "applied_by", "applied_at", "approved_by", "approved_at"]
NOTES = ["approval_note", "late_reason"]


@admin.register(InspectionTask)
class InspectionTaskAdmin(TaskArchiveAdminMixin, ChangeContextMixin, SimpleHistoryAdmin):
    form = InspectionTaskForm
    list_display = [
        "name",
        "kind",
        "sector",
        "period",
        "status_display",
        "approved_by",
        "draw_state",
    ]
    list_filter = ["status", "kind", "sector", "plan_round__section__plan"]
    search_fields = ["name"]
    list_select_related = ["sector", "applied_by", "approved_by"]
    filter_horizontal = ["jurisdictions"]
    actions = ["submit_selected", "approve_selected", "reject_selected"]
    change_form_template = "admin/inspections/inspectiontask_change_form.html"
    change_list_template = "admin/inspections/inspectiontask_change_list.html"

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (
                None,
                {
                    "fields": [
                        "kind",
                        "plan_round",
                        "name",
                        "sector",
                        "jurisdictions",
                        "two_stage",
                        "jurisdictions_to_draw",
                    ]
                },
            ),
            (
                _("时间、比例和检查组"),
                {
                    "fields": [
                        "starts_on",
                        "ends_on",
                        "team_size",
                        "ratio_key",
                        "ratio_normal",
                        "ratio_reduced",
                    ]
                },
            ),
        ]
        if obj is not None:
            notes = NOTES if obj.late_reason else NOTES[:1]
            fieldsets.append((_("单位负责人审批（N10）"), {"fields": [*APPROVAL_FIELDS, *notes]}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        return [*APPROVAL_FIELDS, *NOTES] if obj is not None else []

    def get_changeform_initial_data(self, request):
        """`?plan_round=<id>` (the plan's "为本批次创建任务" link, or choosing the round on this
        page): the new task starts from that round of the published plan (N8, N11, Y3.4)."""
        initial = super().get_changeform_initial_data(request)
        round_id = request.GET.get("plan_round", "")
        plan_round = published_rounds().filter(pk=round_id).first() if round_id.isdigit() else None
        if plan_round is not None:
            defaults = task_round_defaults(plan_round=plan_round)
            initial.update(defaults)
            initial["name"] = request.GET.get("name") or defaults["name"]
        return initial

    def save_model(self, request, obj, form, change):
        task_save(task=obj, user=request.user)

    def add_view(self, request, form_url="", extra_context=None):
        # A round chosen whose period has passed or mostly gone: said before the task is made.
        initial = self.get_changeform_initial_data(request)
        extra = {}
        if initial.get("starts_on") and initial.get("ends_on"):
            period = InspectionTask(starts_on=initial["starts_on"], ends_on=initial["ends_on"])
            extra["period_warning"] = task_period_warning(task=period)
        return super().add_view(request, form_url, {**extra, **(extra_context or {})})

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("draws")

    @admin.display(description=_("检查时间"), ordering="starts_on")
    def period(self, obj):
        # Two short lines: the list stays readable at 1024 px beside the sidebar and the filters.
        return format_html("{}<br>— {}", f"{obj.starts_on:%Y-%m-%d}", f"{obj.ends_on:%Y-%m-%d}")

    @admin.display(description=_("审批状态"), ordering="status")
    def status_display(self, obj):
        return format_html(
            '<strong class="{}">{}</strong>',
            STATUS_TONES.get(obj.status, "tone-plain"),
            obj.get_status_display(),
        )

    @admin.display(description=_("抽取"))
    def draw_state(self, obj):
        live = [d for d in obj.draws.all() if d.superseded_at is None]
        if not live:
            return "—"
        draw = live[0]
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:inspections_draw_change", args=[draw.pk]),
            draw.get_status_display(),
        )

    def has_change_permission(self, request, obj=None):
        # What the unit head approved is what gets drawn (N10): frozen once submitted.
        if obj is not None and obj.status not in (Status.DRAFT, Status.REJECTED):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.status != Status.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    def has_approve_permission(self, request) -> bool:
        return request.user.has_perm("inspections.approve_inspectiontask")

    def may_edit_tasks(self, request) -> bool:
        return super().has_change_permission(request)

    # -- actions -----------------------------------------------------------------------------
    @admin.action(description=_("提交审批"), permissions=["change"])
    def submit_selected(self, request, queryset):
        done = 0
        for task in queryset:
            try:
                task_submit(task=task, user=request.user)
            except ServiceError as exc:
                messages.error(request, f"{task}：{exc}")
            else:
                done += 1
        if done:
            messages.success(request, gettext("已提交审批 %(n)s 项任务。") % {"n": done})

    @admin.action(description=_("批准（单位负责人）"), permissions=["approve"])
    def approve_selected(self, request, queryset):
        return self._decide_selected(request, queryset, approve=True)

    @admin.action(description=_("不批准（单位负责人）"), permissions=["approve"])
    def reject_selected(self, request, queryset):
        return self._decide_selected(request, queryset, approve=False)

    def _decide_selected(self, request, queryset, *, approve: bool):
        """An intermediate page for the note, like Django's delete confirmation."""
        late = period_warnings(queryset) if approve else []
        form = DecisionForm(
            request.POST if "decide" in request.POST else None, late=bool(late), approving=approve
        )
        if form.is_bound and form.is_valid():
            done = 0
            for task in queryset:
                done += self._decide(request, task, approve, form.cleaned_data)
            if done:
                text = (
                    gettext("已批准 %(n)s 项任务。")
                    if approve
                    else gettext("已退回 %(n)s 项任务。")
                )
                messages.success(request, text % {"n": done})
            return None
        title = gettext("批准检查任务") if approve else gettext("不批准检查任务")
        return render_page(
            self,
            request,
            "inspectiontask_decide.html",
            title,
            tasks=queryset,
            form=form,
            late=late,
            approve=approve,
            action=request.POST.get("action", ""),
            selected=request.POST.getlist(ACTION_CHECKBOX_NAME),
            action_checkbox_name=ACTION_CHECKBOX_NAME,
        )

    def _decide(self, request, task, approve: bool, decision: dict) -> int:
        """`decision`: a valid DecisionForm's data (the note; the late reason where asked)."""
        try:
            task_decide(
                task=task,
                user=request.user,
                approve=approve,
                note=decision["note"],
                late_reason=decision.get("late_reason", ""),
            )
        except ServiceError as exc:
            messages.error(request, f"{task}：{exc}")
            return 0
        return 1

    # -- pages -------------------------------------------------------------------------------
    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("from-round/", view(self.from_round_view), name="inspections_task_from_round"),
            path("<int:pk>/submit/", view(self.submit_view), name="inspections_task_submit"),
            path("<int:pk>/decide/", view(self.decide_view), name="inspections_task_decide"),
            *super().get_urls(),
        ]

    def change_context(self, request, task: InspectionTask) -> dict:
        draws = list(task.draws.order_by("number"))
        may_draw = request.user.has_perm("inspections.add_draw")
        drawable = (
            task.kind == InspectionTask.Kind.RANDOM and task.status == Status.APPROVED and not draws
        )
        live = next((d for d in draws if d.superseded_at is None), None)
        return {
            "task": task,
            # Issue 12 §11.4: whoever opens a task not yet drawn learns that its time is short.
            "period_warning": "" if draws else task_period_warning(task=task),
            "draws": draws,
            "live_draw": live,
            "can_submit": self.may_edit_tasks(request)
            and task.status in (Status.DRAFT, Status.REJECTED),
            "can_decide": self.has_approve_permission(request) and task.status == Status.SUBMITTED,
            "can_announce": may_draw and drawable,
            "can_execute": may_draw and live is not None and not live.is_executed,
        }

    def from_round_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = TaskFromRoundForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                task = task_create_for_round(
                    plan_round=form.cleaned_data["plan_round"],
                    name=form.cleaned_data["name"],
                    user=request.user,
                )
            except ServiceError as exc:
                show_service_error(request, exc)
            else:
                messages.success(
                    request,
                    gettext("已按计划批次建立任务“%(t)s”。请核对后提交审批。") % {"t": task},
                )
                return redirect("admin:inspections_inspectiontask_change", task.pk)
        return render_page(
            self,
            request,
            "inspectiontask_from_round.html",
            gettext("按计划批次建立任务"),
            form=form,
        )

    def submit_view(self, request, pk: int):
        if request.method != "POST" or not self.may_edit_tasks(request):
            raise PermissionDenied
        task = get_object_or_404(InspectionTask, pk=pk)
        service_call(
            request,
            gettext("已提交单位负责人审批（N10）。"),
            task_submit,
            task=task,
            user=request.user,
        )
        return redirect("admin:inspections_inspectiontask_change", task.pk)

    def decide_view(self, request, pk: int):
        if not self.has_approve_permission(request):
            raise PermissionDenied
        task = get_object_or_404(InspectionTask, pk=pk)
        approve = "_approve" in request.POST
        late = period_warnings([task])
        form = DecisionForm(request.POST or None, late=bool(late), approving=approve)
        if request.method == "POST" and form.is_valid():
            if self._decide(request, task, approve, form.cleaned_data):
                text = gettext("已批准，可以公告抽取。") if approve else gettext("已退回申请人。")
                messages.success(request, text)
            return redirect("admin:inspections_inspectiontask_change", task.pk)
        return render_page(
            self,
            request,
            "inspectiontask_decide.html",
            gettext("审批检查任务：%(t)s") % {"t": task},
            task,
            tasks=[task],
            form=form,
            late=late,
            single=True,
        )


def period_warnings(tasks) -> list[tuple[InspectionTask, str]]:
    """The tasks among `tasks` whose period has passed or mostly gone, with what to say of each."""
    warnings = [(task, task_period_warning(task=task)) for task in tasks]
    return [(task, warning) for task, warning in warnings if warning]
