"""The filing with the legal-affairs office that closes the task (N10(6)): reported by the office,
received by the legal-affairs office."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from inspections.admin.common import (
    AddedByServiceMixin,
    ChangeContextMixin,
    render_page,
    service_call,
)
from inspections.models import Filing, InspectionReport, InspectionTask
from inspections.services.reports import filing_blockers, filing_receive, filing_submit


class FilingForm(forms.Form):
    task = forms.ModelChoiceField(label=_("检查任务"), queryset=InspectionTask.objects.none())
    note = forms.CharField(
        label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["task"].queryset = InspectionTask.objects.filter(
            report__status=InspectionReport.Status.APPROVED, filing__isnull=True
        )


@admin.register(Filing)
class FilingAdmin(AddedByServiceMixin, ChangeContextMixin, SimpleHistoryAdmin):
    list_display = ["task", "filed_by", "filed_at", "received_by", "received_at"]
    list_filter = [("received_at", admin.EmptyFieldListFilter)]
    list_select_related = ["task", "filed_by", "received_by"]
    fields = [
        "task",
        "filed_by",
        "filed_at",
        "received_by",
        "received_at",
        "manifest_sha256",
        "note",
    ]
    readonly_fields = fields
    change_form_template = "admin/inspections/filing_change_form.html"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/receive/", view(self.receive_view), name="inspections_filing_receive"),
            *super().get_urls(),
        ]

    def change_context(self, request, filing) -> dict:
        may_receive = filing.received_at is None and request.user.has_perm(
            "inspections.change_filing"
        )
        return {"may_receive": may_receive}

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = FilingForm(request.POST or None)
        waiting = InspectionTask.objects.filter(
            Q(report__isnull=True) | ~Q(report__status=InspectionReport.Status.APPROVED),
            inspections__isnull=False,
            filing__isnull=True,
        ).distinct()
        if request.method == "POST" and form.is_valid():
            filing = service_call(
                request,
                gettext("已报送法制机构备案，任务办结（N10(6)）。"),
                filing_submit,
                form=form,
                user=request.user,
                **form.cleaned_data,
            )
            if filing is not None:
                return redirect("admin:inspections_filing_change", filing.pk)
        blockers = [(t, filing_blockers(t)) for t in waiting[:20]]
        return render_page(
            self,
            request,
            "filing_add.html",
            gettext("报送法制机构备案（N10(6)）"),
            form=form,
            blockers=blockers,
        )

    def receive_view(self, request, pk):
        filing = get_object_or_404(Filing, pk=pk)
        if request.method == "POST":
            service_call(
                request, gettext("备案已接收。"), filing_receive, filing=filing, user=request.user
            )
        return redirect("admin:inspections_filing_change", filing.pk)
