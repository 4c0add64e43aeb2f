"""The result fed back to each target (N14), registered in the office; the letter is rendered in the
background."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core.downloads import download_link
from inspections.admin.common import AddedByServiceMixin, document_link, render_page, service_call
from inspections.admin.forms import DATE
from inspections.models import Feedback, Inspection, InspectionReport
from inspections.services.reports import feedback_record


class FeedbackForm(forms.Form):
    inspection = forms.ModelChoiceField(label=_("检查对象"), queryset=Inspection.objects.none())
    method = forms.ChoiceField(label=_("反馈方式"), choices=Feedback.Method.choices)
    delivered_on = forms.DateField(label=_("送达日期"), widget=DATE, initial=timezone.localdate)
    proof = forms.FileField(
        label=_("送达凭证"), required=False, help_text=_("当面或邮寄送达的，上传签收单或邮寄回执。")
    )
    note = forms.CharField(
        label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["inspection"].queryset = (
            Inspection.objects.filter(
                task__report__status=InspectionReport.Status.APPROVED, feedback__isnull=True
            )
            .exclude(status=Inspection.Status.CANCELLED)
            .select_related("institution", "task")
        )


@admin.register(Feedback)
class FeedbackAdmin(AddedByServiceMixin, SimpleHistoryAdmin):
    list_display = ["inspection", "method", "delivered_on", "recorded_by", "letter_link"]
    list_filter = ["method", "inspection__task"]
    search_fields = ["inspection__institution__name"]
    list_select_related = ["inspection__institution", "inspection__task", "recorded_by"]
    fields = [
        "inspection",
        "method",
        "delivered_on",
        "proof_link",
        "note",
        "recorded_by",
        "letter_link",
    ]
    readonly_fields = fields

    @admin.display(description=_("反馈函"))
    def letter_link(self, obj):
        return document_link(obj, "letter")

    @admin.display(description=_("送达凭证"))
    def proof_link(self, obj):
        return download_link(obj, "proof")

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = FeedbackForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            feedback = service_call(
                request,
                gettext("结果反馈已登记，反馈函正在生成。"),
                feedback_record,
                form=form,
                user=request.user,
                **form.cleaned_data,
            )
            if feedback is not None:
                return redirect("admin:inspections_feedback_change", feedback.pk)
        return render_page(
            self, request, "feedback_add.html", gettext("登记结果反馈（N14）"), form=form
        )
