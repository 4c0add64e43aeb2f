"""The team leader's review of the inspection report on the tablet (N10(5), first step): the
reports of the tasks where I lead a team, read in full, approved with one button. Anyone else's
report answers 404, like any inspection that is not mine."""

from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from core.exceptions import ServiceError
from inspections.models import InspectionReport, TargetResult
from inspections.services.reports import report_team_approve
from inspections.views.inspect.common import InspectorMixin


def reports_to_review(user):
    """Reports of the tasks in which `user` leads a team (position 1), newest first."""
    return (
        InspectionReport.objects.filter(
            task__inspections__members__inspector__user=user,
            task__inspections__members__position=1,
        )
        .exclude(task__inspections__status="cancelled")
        .select_related("task", "team_approved_by", "approved_by")
        .distinct()
        .order_by("-drafted_at")
    )


class ReportListView(InspectorMixin, TemplateView):
    template_name = "inspections/inspect/report_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["reports"] = list(reports_to_review(self.request.user))
        return context


class ReportDetailView(InspectorMixin, TemplateView):
    template_name = "inspections/inspect/report_detail.html"

    def get_report(self) -> InspectionReport:
        results = TargetResult.objects.select_related("inspection__institution").order_by(
            "inspection__selection__order", "pk"
        )
        report = (
            reports_to_review(self.request.user)
            .prefetch_related(Prefetch("results", queryset=results))
            .filter(pk=self.kwargs["report_pk"])
            .first()
        )
        if report is None:
            raise Http404
        return report

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        report = self.get_report()
        context.update(
            report=report,
            undecided=[r for r in report.results.all() if not r.category],
            may_approve=report.status == InspectionReport.Status.DRAFT,
        )
        return context


class ReportApproveView(InspectorMixin, View):
    def post(self, request, report_pk):
        report = ReportDetailView(request=request, kwargs={"report_pk": report_pk}).get_report()
        try:
            report_team_approve(report=report, user=request.user)
        except ServiceError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("报告已审核通过，转分管领导审批。"))
        return redirect("inspect:report_detail", report_pk=report.pk)
