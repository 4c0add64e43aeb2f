"""Re-draw requests (N10–N12, Y3.5; issue 12 §11): the unit heads' list of what waits for them —
task, requester, reason, how long it has waited — and the page where one approves or refuses with
a reason. The rows are written by inspections.services.redraws only."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.timesince import timesince
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin.common import ReadOnlyMixin
from core.exceptions import ServiceError
from inspections.admin.common import render_page, show_service_error
from inspections.admin.draw_detail import entropy_preview
from inspections.models import RedrawRequest
from inspections.services.redraws import (
    APPROVE_PERMISSION,
    redraw_request_approve,
    redraw_request_problem,
    redraw_request_refuse,
)


class RefuseForm(forms.Form):
    refusal_reason = forms.CharField(
        label=_("不批准理由"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("申请人会收到通知和理由。"),
    )


class PendingFilter(admin.SimpleListFilter):
    """Pending first: the list opens on what waits for a decision."""

    title = _("状态")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [*RedrawRequest.Status.choices, ("all", _("全部"))]

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": (self.value() or RedrawRequest.Status.PENDING) == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value() or RedrawRequest.Status.PENDING
        return queryset if value == "all" else queryset.filter(status=value)


@admin.register(RedrawRequest)
class RedrawRequestAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Asked from the draw's page, decided on its own page through the services: here only read."""

    list_display = [
        "task_display",
        "draw",
        "requested_by_display",
        "reason_display",
        "age_display",
        "status",
        "decide_link",
    ]
    list_filter = [PendingFilter]
    list_select_related = ["draw__task", "requested_by"]
    search_fields = ["draw__task__name", "reason"]
    ordering = ["requested_at", "pk"]  # the longest waiting first

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(APPROVE_PERMISSION) or super().has_view_permission(
            request, obj
        )

    @admin.display(description=_("检查任务"), ordering="draw__task__name")
    def task_display(self, obj):
        return obj.draw.task

    @admin.display(description=_("申请人"), ordering="requested_by")
    def requested_by_display(self, obj):
        return obj.requested_by.get_full_name() or obj.requested_by.get_username()

    @admin.display(description=_("理由"))
    def reason_display(self, obj):
        return Truncator(obj.reason).chars(60)

    @admin.display(description=_("已等待"), ordering="requested_at")
    def age_display(self, obj):
        end = obj.decided_at or timezone.now()
        return timesince(obj.requested_at, end)

    @admin.display(description=_("审批"))
    def decide_link(self, obj):
        url = reverse("admin:inspections_redrawrequest_decide", args=[obj.pk])
        label = gettext("审批") if obj.status == RedrawRequest.Status.PENDING else gettext("查看")
        return format_html('<a href="{}">{}</a>', url, label)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/decide/", view(self.decide_view), name="inspections_redrawrequest_decide"
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return redirect("admin:inspections_redrawrequest_decide", object_id)

    def decide_view(self, request, pk: int):
        redraw_request = get_object_or_404(
            RedrawRequest.objects.select_related("draw__task", "requested_by", "decided_by"),
            pk=pk,
        )
        may_decide = request.user.has_perm(APPROVE_PERMISSION)
        if not (may_decide or self.has_view_permission(request, redraw_request)):
            raise PermissionDenied
        pending = redraw_request.status == RedrawRequest.Status.PENDING
        is_requester = request.user.pk == redraw_request.requested_by_id
        refuse = RefuseForm(request.POST if "_refuse" in request.POST else None)
        if request.method == "POST":
            if not may_decide or is_requester:
                raise PermissionDenied  # the requester never decides their own request
            try:
                if "_approve" in request.POST:
                    redraw_request = redraw_request_approve(
                        request=redraw_request, user=request.user
                    )
                    messages.success(
                        request,
                        gettext(
                            "已批准重新抽取并公告第 %(n)s 次抽取；原抽取保持公开，标注为已被取代。"
                        )
                        % {"n": redraw_request.redraw.number},
                    )
                    return redirect("admin:inspections_draw_change", redraw_request.redraw_id)
                if "_refuse" in request.POST and refuse.is_valid():
                    redraw_request_refuse(
                        request=redraw_request,
                        user=request.user,
                        reason=refuse.cleaned_data["refusal_reason"],
                    )
                    messages.success(request, gettext("已不批准该重新抽取申请，申请人会收到通知。"))
                    return redirect("admin:inspections_redrawrequest_changelist")
            except ServiceError as exc:
                show_service_error(request, exc)
                redraw_request.refresh_from_db()
                pending = redraw_request.status == RedrawRequest.Status.PENDING
        problem = redraw_request_problem(redraw_request) if pending else ""
        return render_page(
            self,
            request,
            "redrawrequest_decide.html",
            gettext("重新抽取申请：%(d)s") % {"d": redraw_request.draw},
            redraw_request,
            redraw_request=redraw_request,
            draw=redraw_request.draw,
            may_decide=may_decide and pending and not is_requester,
            is_requester=is_requester,
            problem=problem,
            refuse=refuse,
            estimate=entropy_preview(redraw_request.draw.task, redraw_request.sources),
        )
