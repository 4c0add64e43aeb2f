"""The inspection report in the office (N13, N10(5)): drafted from the submitted check records,
edited with each target's result (Y3.6) while a draft, approved by the leader in charge once a
team leader has (on /inspect/). Every write goes through inspections.services.reports."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core.exceptions import ServiceError
from inspections.admin.common import (
    AddedByServiceMixin,
    ChangeContextMixin,
    ReadOnlyInline,
    document_link,
    render_page,
    service_call,
    show_service_error,
)
from inspections.admin.forms import DATE
from inspections.models import InspectionReport, InspectionTask, TargetResult
from inspections.services.reports import report_approve, report_draft, report_update, result_set


class DraftForm(forms.Form):
    task = forms.ModelChoiceField(
        label=_("检查任务"),
        queryset=InspectionTask.objects.none(),
        help_text=_("检查记录全部提交后，才能据此起草报告（N13）。"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["task"].queryset = (
            InspectionTask.objects.filter(report__isnull=True)
            .annotate(n=Count("inspections"))
            .filter(n__gt=0)
            .order_by("-starts_on")
        )


class ReportForm(forms.ModelForm):
    class Meta:
        model = InspectionReport
        fields = ["inspected_from", "inspected_to", "content", "findings", "evaluation", "handling"]
        widgets = {
            "inspected_from": DATE,
            "inspected_to": DATE,
            "content": forms.Textarea(attrs={"rows": 5, "cols": 90}),
            "findings": forms.Textarea(attrs={"rows": 5, "cols": 90}),
            "evaluation": forms.Textarea(attrs={"rows": 3, "cols": 90}),
            "handling": forms.Textarea(attrs={"rows": 3, "cols": 90}),
        }


class ResultForm(forms.ModelForm):
    class Meta:
        model = TargetResult
        fields = ["category", "case_number", "receiving_authority", "evaluation", "handling"]
        widgets = {
            "evaluation": forms.Textarea(attrs={"rows": 2, "cols": 40}),
            "handling": forms.Textarea(attrs={"rows": 2, "cols": 40}),
        }

    def _post_clean(self):
        """The service checks the rules (it names the target); no model validation here."""


ResultFormSet = forms.modelformset_factory(TargetResult, form=ResultForm, extra=0)


class ResultInline(ReadOnlyInline):
    model = TargetResult
    fields = ["inspection", "category", "case_number", "receiving_authority", "evaluation"]
    readonly_fields = fields


@admin.register(InspectionReport)
class InspectionReportAdmin(AddedByServiceMixin, ChangeContextMixin, SimpleHistoryAdmin):
    """Edited on its own page while a draft (edit_view), never through the change form."""

    list_display = ["task", "status", "target_count", "drafted_at", "approved_by", "pdf_link"]
    list_filter = ["status"]
    search_fields = ["task__name"]
    list_select_related = ["task", "approved_by"]
    inlines = [ResultInline]
    change_form_template = "admin/inspections/inspectionreport_change_form.html"
    readonly_fields = [
        "task",
        "status",
        "inspected_from",
        "inspected_to",
        "content",
        "target_count",
        "findings",
        "evaluation",
        "handling",
        "drafted_by",
        "drafted_at",
        "team_approved_by",
        "team_approved_at",
        "approved_by",
        "approved_at",
        "pdf_link",
    ]
    fields = readonly_fields

    @admin.display(description=_("PDF"))
    def pdf_link(self, obj):
        return document_link(obj, "pdf", signed=obj.is_approved)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("draft/", view(self.draft_view), name="inspections_inspectionreport_draft"),
            path("<int:pk>/edit/", view(self.edit_view), name="inspections_inspectionreport_edit"),
            path(
                "<int:pk>/approve/",
                view(self.approve_view),
                name="inspections_inspectionreport_approve",
            ),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        return redirect("admin:inspections_inspectionreport_draft")

    def change_context(self, request, report) -> dict:
        return {
            "may_edit": report.status == InspectionReport.Status.DRAFT
            and request.user.has_perm("inspections.change_inspectionreport"),
            "may_approve": report.status == InspectionReport.Status.TEAM_APPROVED
            and request.user.has_perm("inspections.approve_inspectionreport"),
        }

    def _to(self, report):
        return redirect("admin:inspections_inspectionreport_change", report.pk)

    def draft_view(self, request):
        if not request.user.has_perm("inspections.add_inspectionreport"):
            raise PermissionDenied
        form = DraftForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            report = service_call(
                request,
                gettext("报告草稿已根据检查记录生成，请补充处理意见并确定各检查对象的结果。"),
                report_draft,
                form=form,
                task=form.cleaned_data["task"],
                user=request.user,
            )
            if report is not None:
                return redirect("admin:inspections_inspectionreport_edit", report.pk)
        return render_page(self, request, "report_draft.html", gettext("起草抽查报告"), form=form)

    def edit_view(self, request, pk):
        if not request.user.has_perm("inspections.change_inspectionreport"):
            raise PermissionDenied
        report = get_object_or_404(InspectionReport.objects.select_related("task"), pk=pk)
        if report.status != InspectionReport.Status.DRAFT:
            messages.error(request, gettext("报告已进入审批，不能再修改。"))
            return self._to(report)
        results = report.results.select_related("inspection__institution").order_by(
            "inspection__selection__order", "pk"
        )
        data = request.POST or None
        form = ReportForm(data, instance=InspectionReport.objects.get(pk=report.pk))
        formset = ResultFormSet(data, queryset=results, prefix="results")
        if request.method == "POST" and form.is_valid() and formset.is_valid():
            try:
                with transaction.atomic():  # all or nothing
                    self._save_report(request, report, form, formset)
            except ServiceError as exc:
                show_service_error(request, exc)
            else:
                messages.success(request, gettext("报告已保存。"))
                return self._to(report)
        return render_page(
            self,
            request,
            "report_edit.html",
            gettext("编辑抽查报告：%(r)s") % {"r": report},
            report,
            form=form,
            formset=formset,
        )

    @staticmethod
    def _save_report(request, report, form, formset) -> None:
        report_update(report=report, user=request.user, **form.cleaned_data)
        for result_form in formset.forms:
            if result_form.has_changed():
                values = {f: result_form.cleaned_data[f] for f in ResultForm.Meta.fields}
                result_set(result=result_form.instance, **values)

    def approve_view(self, request, pk):
        if not request.user.has_perm("inspections.approve_inspectionreport"):
            raise PermissionDenied
        report = get_object_or_404(InspectionReport, pk=pk)
        if request.method == "POST":
            service_call(
                request,
                gettext("报告已批准；请在 5 个工作日内向各检查对象反馈结果（N14）。"),
                report_approve,
                report=report,
                user=request.user,
            )
        return self._to(report)
