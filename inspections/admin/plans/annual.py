"""Annual plans (Y3.4, N7–N9): edited as drafts and checked on every save, published by 31 January,
afterwards changed only under a registered revision that is itself published."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core.exceptions import ServiceError
from inspections.admin.common import LATE, ChangeContextMixin, render_page, show_service_error
from inspections.admin.forms import PlanRevisionForm
from inspections.admin.plans.check import check_context, plan_editable, report_check
from inspections.admin.plans.revisions import _explain, _schedule_text
from inspections.admin.plans.sections import (
    PlanSectionInline,
    _items_message,
    section_fill_defaults,
)
from inspections.models import AnnualPlan, PlanSection
from inspections.services.plans import (
    plan_deadline_open,
    plan_publish,
    plan_revision_open,
    plan_revision_publish,
)


@admin.register(AnnualPlan)
class AnnualPlanAdmin(ChangeContextMixin, SimpleHistoryAdmin):
    list_display = ["title", "year", "jurisdiction", "status", "publication", "revision_state"]
    list_filter = ["status", "year", "jurisdiction"]
    search_fields = ["title"]
    list_select_related = ["jurisdiction"]
    inlines = [PlanSectionInline]
    change_form_template = "admin/inspections/annualplan_change_form.html"

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["jurisdiction", "year", "title"]
        return ["jurisdiction", "year", "title", "status", "publication", "published_by"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["jurisdiction", "year", "status", "publication", "published_by"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:  # Y3.4: the 31 January deadline starts with the plan
            plan_deadline_open(plan=obj, responsible=request.user)

    @admin.display(description=_("公布情况（Y3.4：1 月 31 日前）"))
    def publication(self, obj):
        due = obj.due_date
        if obj.is_published:
            if obj.is_late:
                return format_html(
                    '{} <strong class="{}">{}</strong>',
                    gettext("%(d)s 公布") % {"d": obj.published_on},
                    LATE,
                    gettext("逾期（应于 %(due)s 前公布）") % {"due": due},
                )
            return gettext("%(d)s 公布，按期") % {"d": obj.published_on}
        if obj.is_late:
            return format_html(
                '<strong class="{}">{}</strong>',
                LATE,
                gettext("未公布，已超过 %(due)s") % {"due": due},
            )
        return gettext("未公布，应于 %(due)s 前公布") % {"due": due}

    @admin.display(description=_("修订"))
    def revision_state(self, obj):
        revisions = list(obj.revisions.all())
        open_one = next((r for r in revisions if not r.published_at), None)
        if open_one:
            return gettext("第 %(n)s 次修订待发布（最迟 %(d)s）") % {
                "n": open_one.number,
                "d": open_one.publish_by,
            }
        return gettext("已发布 %(n)s 次") % {"n": len(revisions)} if revisions else "—"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("revisions")

    def has_change_permission(self, request, obj=None):
        if obj is not None and not plan_editable(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_published:
            return False  # a published plan stays public (N6, Y3.4)
        return super().has_delete_permission(request, obj)

    def may_edit_plans(self, request) -> bool:
        return super().has_change_permission(request)

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        for section in getattr(formset, "new_objects", []):
            if isinstance(section, PlanSection):
                count = section_fill_defaults(section)
                messages.info(request, _items_message(section, count))

    def response_add(self, request, obj, post_url_continue=None):
        response = super().response_add(request, obj, post_url_continue)
        report_check(request, obj)
        return response

    def response_change(self, request, obj):
        response = super().response_change(request, obj)
        report_check(request, obj)
        return response

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/publish/", view(self.publish_view), name="inspections_plan_publish"),
            path("<int:pk>/revise/", view(self.revise_view), name="inspections_plan_revise"),
            path(
                "<int:pk>/publish-revision/",
                view(self.revision_publish_view),
                name="inspections_plan_revision_publish",
            ),
            *super().get_urls(),
        ]

    def change_context(self, request, plan: AnnualPlan) -> dict:
        open_revision = plan.open_revision()
        may_edit = self.may_edit_plans(request)
        return {
            **check_context(plan),
            "plan": plan,
            "open_revision": open_revision,
            "open_revision_schedule": _explain(open_revision) if open_revision else "",
            "revisions": plan.revisions.order_by("number"),
            "can_publish": may_edit and not plan.is_published,
            "can_revise": may_edit and plan.is_published and open_revision is None,
            "can_publish_revision": may_edit and open_revision is not None,
        }

    def _plan_or_404(self, request, pk: int) -> AnnualPlan:
        if not self.may_edit_plans(request):
            raise PermissionDenied
        return get_object_or_404(AnnualPlan, pk=pk)

    def _back(self, plan: AnnualPlan):
        return redirect("admin:inspections_annualplan_change", plan.pk)

    def publish_view(self, request, pk: int):
        plan = self._plan_or_404(request, pk)
        if request.method == "POST":
            try:
                plan = plan_publish(plan=plan, user=request.user)
            except ServiceError as exc:
                show_service_error(request, exc)
            else:
                if plan.is_late:
                    messages.warning(
                        request,
                        gettext("计划已公布。公布日期晚于 %(due)s，按 Y3.4 标注为逾期公布。")
                        % {"due": plan.due_date},
                    )
                else:
                    messages.success(request, gettext("计划已公布。"))
            return self._back(plan)
        return render_page(
            self,
            request,
            "annualplan_publish.html",
            gettext("公布计划：%(t)s") % {"t": plan},
            plan,
            plan=plan,
            today=timezone.localdate(),
            **check_context(plan),
        )

    def revise_view(self, request, pk: int):
        plan = self._plan_or_404(request, pk)
        form = PlanRevisionForm(request.POST or None)
        schedule, refused = "", False
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            schedule = _schedule_text(data["changed_on"], data["affected_starts_on"])
            try:
                revision = plan_revision_open(plan=plan, user=request.user, **data)
            except ServiceError as exc:
                show_service_error(request, exc)
                refused = True
            else:
                messages.success(
                    request,
                    gettext("已登记第 %(n)s 次修订，现可修改计划内容；改完后请发布修订。%(s)s")
                    % {"n": revision.number, "s": schedule},
                )
                return self._back(plan)
        return render_page(
            self,
            request,
            "annualplan_revise.html",
            gettext("登记修订：%(t)s") % {"t": plan},
            plan,
            plan=plan,
            form=form,
            schedule=schedule,
            refused=refused,
        )

    def revision_publish_view(self, request, pk: int):
        plan = self._plan_or_404(request, pk)
        revision = plan.open_revision()
        if revision is None:
            messages.error(request, gettext("该计划没有待发布的修订。"))
            return self._back(plan)
        if request.method == "POST":
            try:
                revision = plan_revision_publish(revision=revision, user=request.user)
            except ServiceError as exc:
                show_service_error(request, exc)
            else:
                text = gettext("第 %(n)s 次修订已发布。") % {"n": revision.number}
                if revision.is_late:
                    messages.warning(
                        request,
                        text
                        + gettext("晚于最迟发布日期 %(d)s（Y3.4：5 个工作日内），已标注为逾期。")
                        % {"d": revision.publish_by},
                    )
                else:
                    messages.success(request, text)
            return self._back(plan)
        return render_page(
            self,
            request,
            "annualplan_revision_publish.html",
            gettext("发布修订：%(r)s") % {"r": revision},
            plan,
            plan=plan,
            revision=revision,
            schedule=_explain(revision),
            **check_context(plan),
        )
