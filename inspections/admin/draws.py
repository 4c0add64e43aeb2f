"""The double random draw (N10–N12, Y3.5, RFC 3797): announce the future public sources, enter their
values and execute, or — with a reason and two witnesses — draw on the spot; re-draw with a reason
and a second approver. The record is read-only for everybody: an executed draw never changes.
What its pages show is computed in admin/draw_detail.py."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin.common import ReadOnlyMixin
from core.exceptions import ServiceError
from inspections.admin.common import (
    LATE,
    ChangeContextMixin,
    render_page,
    service_call,
    show_service_error,
)
from inspections.admin.draw_detail import draw_detail, entropy_preview
from inspections.admin.forms import (
    ExecuteForm,
    ImmediateForm,
    MissingRuleForm,
    RedrawForm,
    SourceFormSet,
)
from inspections.models import Draw, InspectionTask, RedrawRequest
from inspections.services.draws import draw_announce, draw_execute, draw_immediate
from inspections.services.redraws import redraw_approvers, redraw_request_create
from inspections.services.tasks import task_period_warning

__all__ = ["DrawAdmin", "draw_detail", "entropy_preview", "public_url"]


def public_url(name: str, draw_id: int, fallback: str) -> str:
    try:
        return reverse(name, args=[draw_id])
    except NoReverseMatch:
        return fallback


@admin.register(Draw)
class DrawAdmin(ReadOnlyMixin, ChangeContextMixin, admin.ModelAdmin):
    """Read-only for everybody, superusers included: the page shows, the services write. A draw
    is announced from an approved task (below) and never edited (N10–N12), for anybody."""

    list_display = [
        "task",
        "number",
        "status_display",
        "verifiable_display",
        "announced_at",
        "executed_at",
    ]
    list_filter = ["status", "verifiable", "task__sector"]
    search_fields = ["task__name"]
    list_select_related = ["task"]
    date_hierarchy = "announced_at"
    change_form_template = "admin/inspections/draw_change_form.html"
    BASE_FIELDS = [
        "task",
        "number",
        "status_display",
        "verifiable_display",
        "announced_at",
        "announced_by",
    ]
    EXECUTED_FIELDS = ["executed_at", "executed_by"]
    REDRAW_FIELDS = ["redraw_of", "redraw_reason", "redraw_requested_by", "redraw_approved_by"]
    IMMEDIATE_FIELDS = ["immediate_reason", "witnesses_display"]

    def get_fields(self, request, obj=None):
        fields = list(self.BASE_FIELDS)
        if obj is not None and obj.is_executed:
            fields += self.EXECUTED_FIELDS
        if obj is not None and obj.superseded_at:
            fields.append("superseded_at")
        if obj is not None and obj.redraw_of_id:
            fields += self.REDRAW_FIELDS
        if obj is not None and not obj.verifiable:
            fields += self.IMMEDIATE_FIELDS
        return fields

    def get_readonly_fields(self, request, obj=None):
        return [
            *self.BASE_FIELDS,
            *self.EXECUTED_FIELDS,
            "superseded_at",
            *self.REDRAW_FIELDS,
            *self.IMMEDIATE_FIELDS,
        ]

    @admin.display(description=_("状态"), ordering="status")
    def status_display(self, obj):
        if obj.superseded_at:
            return format_html(
                '{} <strong class="{}">{}</strong>',
                obj.get_status_display(),
                LATE,
                gettext("（已被重新抽取取代）"),
            )
        return obj.get_status_display()

    @admin.display(description=_("可公开验证"), ordering="verifiable")
    def verifiable_display(self, obj):
        if obj.verifiable:
            return gettext("可公开验证")
        return format_html(
            '<strong class="{}">{}</strong>', LATE, gettext("不可公开验证（当场抽取）")
        )

    @admin.display(description=_("见证人"))
    def witnesses_display(self, obj):
        return "、".join(obj.witnesses or [])

    def may_draw(self, request) -> bool:
        return request.user.has_perm("inspections.add_draw")

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "announce/<int:task_id>/",
                view(self.announce_view),
                name="inspections_draw_announce",
            ),
            path(
                "immediate/<int:task_id>/",
                view(self.immediate_view),
                name="inspections_draw_immediate",
            ),
            path("<int:pk>/execute/", view(self.execute_view), name="inspections_draw_execute"),
            path("<int:pk>/redraw/", view(self.redraw_view), name="inspections_draw_redraw"),
            *super().get_urls(),
        ]

    def change_context(self, request, draw: Draw) -> dict:
        live = draw.superseded_at is None
        return {
            **draw_detail(draw),
            "draw": draw,
            "public_url": public_url("inspections:draw_detail", draw.pk, f"/draws/{draw.pk}/"),
            "json_url": public_url("inspections:draw_json", draw.pk, f"/draws/{draw.pk}.json"),
            "can_execute": self.may_draw(request) and live and not draw.is_executed,
            "can_redraw": self.may_draw(request) and live,
            "pending_redraw": draw.redraw_requests.filter(
                status=RedrawRequest.Status.PENDING
            ).first(),
        }

    # -- announce ----------------------------------------------------------------------------
    def _drawable_task(self, request, task_id: int) -> InspectionTask:
        if not self.may_draw(request):
            raise PermissionDenied
        return get_object_or_404(InspectionTask, pk=task_id)

    def _to_task(self, task):
        return redirect("admin:inspections_inspectiontask_change", task.pk)

    @staticmethod
    def _period(request, task, *, drawing: bool) -> dict:
        """Issue 12 §11.4: a task whose period has passed or mostly gone is drawn only once that is
        confirmed on the page (templates/admin/inspections/_period_confirm.html)."""
        warning = task_period_warning(task=task)
        confirmed = not warning or bool(request.POST.get("confirm_period"))
        if drawing and not confirmed:
            messages.error(request, gettext("请先确认该任务的检查期间已过（或所剩无几）。"))
        return {"period_warning": warning, "period_confirmed": confirmed}

    def _to_draw(self, draw):
        return redirect("admin:inspections_draw_change", draw.pk)

    def announce_view(self, request, task_id: int):
        task = self._drawable_task(request, task_id)
        if task.status != InspectionTask.Status.APPROVED:
            messages.error(request, gettext("检查任务须经单位负责人审批后才能抽取（N10）。"))
            return self._to_task(task)
        sources = SourceFormSet(request.POST or None, prefix="source")
        rule = MissingRuleForm(request.POST or None)
        estimate = None
        period = self._period(request, task, drawing="_confirm" in request.POST)
        if request.method == "POST" and sources.is_valid() and rule.is_valid():
            estimate = entropy_preview(task, sources.sources())
            if "_confirm" in request.POST and period["period_confirmed"]:
                try:
                    draw = draw_announce(
                        task=task,
                        sources=sources.sources(),
                        user=request.user,
                        missing_rule=rule.cleaned_data["missing_rule"],
                    )
                except ServiceError as exc:
                    show_service_error(request, exc)
                else:
                    messages.success(
                        request,
                        gettext(
                            "抽取已公告：检查对象和执法人员名录已冻结。待随机源产生后，请录入并执行。"
                        ),
                    )
                    return self._to_draw(draw)
        return render_page(
            self,
            request,
            "draw_announce.html",
            gettext("公告抽取：%(t)s") % {"t": task},
            task=task,
            sources=sources,
            rule=rule,
            estimate=estimate,
            **period,
        )

    # -- execute -----------------------------------------------------------------------------
    def execute_view(self, request, pk: int):
        if not self.may_draw(request):
            raise PermissionDenied
        draw = get_object_or_404(Draw.objects.select_related("task"), pk=pk)
        if draw.is_executed or draw.superseded_at:
            messages.error(request, gettext("该抽取已经执行或已被取代，不能再次执行。"))
            return self._to_draw(draw)
        form = ExecuteForm(request.POST or None, sources=draw.announcement["sources"])
        if request.method == "POST" and form.is_valid():
            try:
                draw = draw_execute(draw=draw, values=form.values(), user=request.user)
            except ServiceError as exc:
                form.add_error(None, str(exc))
                if exc.code == "infeasible":
                    form.add_error(
                        None,
                        gettext(
                            "名录已在公告时冻结：请补充可抽取的执法检查人员（或相邻辖区人员）后“申请重新抽取”。"
                        ),
                    )
            else:
                messages.success(request, gettext("抽取已执行，结果已保存，不可更改。"))
                return self._to_draw(draw)
        return render_page(
            self,
            request,
            "draw_execute.html",
            gettext("录入随机源并执行：%(d)s") % {"d": draw},
            draw,
            draw=draw,
            form=form,
        )

    # -- immediate ---------------------------------------------------------------------------
    def immediate_view(self, request, task_id: int):
        task = self._drawable_task(request, task_id)
        form = ImmediateForm(request.POST or None)
        period = self._period(request, task, drawing=request.method == "POST")
        if request.method == "POST" and form.is_valid() and period["period_confirmed"]:
            data = form.cleaned_data
            draw = service_call(
                request,
                gettext("已当场抽取。本次抽取由服务器生成随机数，标注为“不可公开验证”。"),
                draw_immediate,
                level=messages.WARNING,
                task=task,
                reason=data["reason"],
                witnesses=[data["witness_1"], data["witness_2"]],
                user=request.user,
            )
            if draw is not None:
                return self._to_draw(draw)
        return render_page(
            self,
            request,
            "draw_immediate.html",
            gettext("当场抽取：%(t)s") % {"t": task},
            task=task,
            form=form,
            **period,
        )

    # -- re-draw -----------------------------------------------------------------------------
    def redraw_view(self, request, pk: int):
        """The requester states the reason and names the new sources. The request is recorded
        and reaches every unit head (notification and e-mail, their list of pending requests);
        nothing is announced until one of them — not the requester — approves it."""
        if not self.may_draw(request):
            raise PermissionDenied
        draw = get_object_or_404(Draw.objects.select_related("task"), pk=pk)
        if draw.superseded_at:
            messages.error(request, gettext("该抽取已被取代。"))
            return self._to_draw(draw)
        form = RedrawForm(request.POST or None)
        sources = SourceFormSet(request.POST or None, prefix="source")
        rule = MissingRuleForm(request.POST or None)
        estimate = None
        if request.method == "POST" and all(f.is_valid() for f in (form, sources, rule)):
            estimate = entropy_preview(draw.task, sources.sources())
            try:
                redraw_request = redraw_request_create(
                    draw=draw,
                    reason=form.cleaned_data["reason"],
                    sources=sources.sources(),
                    missing_rule=rule.cleaned_data["missing_rule"],
                    user=request.user,
                )
            except ServiceError as exc:
                show_service_error(request, exc)
            else:
                approvers = len(redraw_approvers(exclude=request.user))
                messages.success(
                    request,
                    gettext(
                        "重新抽取申请已提交，已通知 %(n)s 位单位负责人审批；批准后才会公告新的抽取。"
                    )
                    % {"n": approvers},
                )
                if not approvers:
                    messages.warning(request, gettext("目前没有可以审批的单位负责人账号。"))
                return redirect("admin:inspections_redrawrequest_decide", redraw_request.pk)
        return render_page(
            self,
            request,
            "draw_redraw.html",
            gettext("申请重新抽取：%(d)s") % {"d": draw},
            draw,
            draw=draw,
            form=form,
            sources=sources,
            rule=rule,
            estimate=estimate,
        )
