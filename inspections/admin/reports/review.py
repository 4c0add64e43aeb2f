"""After the visits, in the office (N13, N10(5), N14, Y3.6, N16, N10(6)): the inspections and their
check records (read-only: the inspectors write them on /inspect/), the report with each target's
result and its approval, the feedback, the follow-up ledger and the filing. Every write goes
through inspections.services.reports; a refusal's message is shown as it is."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core.downloads import download_link, download_url, downloadable
from core.exceptions import ServiceError
from inspections.admin.common import render_page, show_service_error
from inspections.admin.forms import DATE
from inspections.models import (
    CheckRecord,
    CheckRecordItem,
    Evidence,
    Feedback,
    Filing,
    Inspection,
    InspectionMember,
    InspectionReport,
    InspectionTask,
    LedgerEntry,
    Signature,
    TargetResult,
)
from inspections.services import documents
from inspections.services.reports import (
    feedback_record,
    filing_blockers,
    filing_receive,
    filing_submit,
    ledger_close,
    ledger_update,
    report_approve,
    report_draft,
    report_update,
    result_set,
)


class ReadOnlyAdmin(SimpleHistoryAdmin):
    """Written elsewhere (the inspectors' screens, the services); here only read."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# -- inspections and their records --------------------------------------------------------------
class MemberInline(ReadOnlyInline):
    model = InspectionMember
    fields = ["position", "inspector", "borrowed"]
    readonly_fields = fields


class RecordLinkInline(ReadOnlyInline):
    model = CheckRecord
    fields = ["link", "status", "inspected_on", "submitted_at", "correction_reason"]
    readonly_fields = fields
    verbose_name_plural = _("检查记录（各版本）")

    @admin.display(description=_("版本"))
    def link(self, obj):
        url = reverse("admin:inspections_checkrecord_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("第 %(v)s 版") % {"v": obj.version})


@admin.register(Inspection)
class InspectionAdmin(ReadOnlyAdmin):
    list_display = ["institution", "task", "team", "status"]
    list_filter = ["status", "task"]
    search_fields = ["institution__name", "=institution__credit_code", "task__name"]
    list_select_related = ["institution", "task"]
    inlines = [MemberInline, RecordLinkInline]
    fields = ["task", "institution", "selection", "status", "created_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("members__inspector")

    @admin.display(description=_("检查组"))
    def team(self, obj):
        return "、".join(m.inspector.name for m in obj.members.all())


class ItemInline(ReadOnlyInline):
    model = CheckRecordItem
    fields = ["order", "check_item", "outcome", "method", "finding", "not_applicable_reason"]
    readonly_fields = fields


class EvidenceInline(ReadOnlyInline):
    model = Evidence
    fields = ["link", "item", "content_type", "size", "sha256", "uploaded_by", "uploaded_at"]
    readonly_fields = fields

    @admin.display(description=_("文件"))
    def link(self, obj):
        return download_link(obj, "file", obj.original_name)


class SignatureInline(ReadOnlyInline):
    model = Signature
    fields = [
        "role",
        "name",
        "inspector",
        "picture",
        "signed_at",
        "confirmed_by",
        "captured_by",
        "device",
        "ip_address",
    ]
    readonly_fields = fields

    @admin.display(description=_("签名"))
    def picture(self, obj):
        url = download_url(obj, "image")
        return format_html('<img src="{}" alt="" style="height:48px">', url)


@admin.register(CheckRecord)
class CheckRecordAdmin(ReadOnlyAdmin):
    list_display = ["inspection", "version", "status", "inspected_on", "submitted_at", "pdf_link"]
    list_filter = ["status", "inspection__task"]
    search_fields = ["inspection__institution__name", "=inspection__institution__credit_code"]
    list_select_related = ["inspection__institution", "inspection__task"]
    inlines = [ItemInline, EvidenceInline, SignatureInline]
    fields = [
        "inspection",
        "version",
        "status",
        "correction_of",
        "correction_reason",
        "inspected_on",
        "place",
        "certificates_shown",
        "rights_told",
        "statement",
        "questions",
        "representative_name",
        "representative_title",
        "representative_refused",
        "summary",
        "submitted_by",
        "submitted_at",
        "pdf_link",
    ]
    readonly_fields = fields

    @admin.display(description=_("PDF"))
    def pdf_link(self, obj):
        if not obj.pdf and not obj.is_submitted:
            return "—"
        return download_link(obj, "pdf") if obj.pdf else _render_link(obj, "pdf")


def _render_link(obj, field: str) -> str:
    """A signed document not rendered yet: the download renders it."""
    return format_html('<a href="{}">{}</a>', download_url(obj, field), gettext("生成并下载"))


# -- the report -----------------------------------------------------------------------------------
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
class InspectionReportAdmin(SimpleHistoryAdmin):
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

    def has_change_permission(self, request, obj=None):
        return False  # edited on its own page while a draft, below

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("PDF"))
    def pdf_link(self, obj):
        if not obj.pdf and not obj.is_approved:
            return "—"
        return download_link(obj, "pdf") if obj.pdf else _render_link(obj, "pdf")

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

    def change_view(self, request, object_id, form_url="", extra_context=None):
        report = self.get_object(request, object_id)
        extra = {
            "may_edit": report is not None
            and report.status == InspectionReport.Status.DRAFT
            and request.user.has_perm("inspections.change_inspectionreport"),
            "may_approve": report is not None
            and report.status == InspectionReport.Status.TEAM_APPROVED
            and request.user.has_perm("inspections.approve_inspectionreport"),
        }
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def _to(self, report):
        return redirect("admin:inspections_inspectionreport_change", report.pk)

    def draft_view(self, request):
        if not request.user.has_perm("inspections.add_inspectionreport"):
            raise PermissionDenied
        form = DraftForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                report = report_draft(task=form.cleaned_data["task"], user=request.user)
            except ServiceError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    gettext("报告草稿已根据检查记录生成，请补充处理意见并确定各检查对象的结果。"),
                )
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
            try:
                report_approve(report=report, user=request.user)
            except ServiceError as exc:
                show_service_error(request, exc)
            else:
                messages.success(
                    request, gettext("报告已批准；请在 5 个工作日内向各检查对象反馈结果（N14）。")
                )
        return self._to(report)


# -- feedback --------------------------------------------------------------------------------------
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
class FeedbackAdmin(SimpleHistoryAdmin):
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

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("反馈函"))
    def letter_link(self, obj):
        return download_link(obj, "letter") if obj.letter else _render_link(obj, "letter")

    @admin.display(description=_("送达凭证"))
    def proof_link(self, obj):
        return download_link(obj, "proof")

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = FeedbackForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                feedback = feedback_record(user=request.user, **form.cleaned_data)
            except ServiceError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, gettext("结果反馈已登记，反馈函正在生成。"))
                return redirect("admin:inspections_feedback_change", feedback.pk)
        return render_page(
            self, request, "feedback_add.html", gettext("登记结果反馈（N14）"), form=form
        )


# -- the follow-up ledger --------------------------------------------------------------------------
class LedgerStateFilter(admin.SimpleListFilter):
    title = _("办理状态")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", _("未销号")), ("overdue", _("已超期")), ("closed", _("已销号"))]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        return {
            "open": queryset.filter(closed_on__isnull=True),
            "overdue": queryset.filter(closed_on__isnull=True, due_on__lt=today),
            "closed": queryset.filter(closed_on__isnull=False),
        }.get(self.value(), queryset)


class LedgerForm(forms.Form):
    kind = forms.ChoiceField(label=_("处理方式"), choices=LedgerEntry.Kind.choices)
    case_number = forms.CharField(label=_("立案号"), required=False, max_length=100)
    transferred_to = forms.CharField(label=_("移送机关"), required=False, max_length=200)
    suspected_crime = forms.BooleanField(
        label=_("涉嫌犯罪"), required=False, help_text=_("N16：涉嫌犯罪的，移送司法机关。")
    )
    due_on = forms.DateField(label=_("整改/办结期限"), required=False, widget=DATE)


class LedgerCloseForm(forms.Form):
    closed_on = forms.DateField(label=_("销号日期"), widget=DATE, initial=timezone.localdate)
    rectification = forms.CharField(
        label=_("整改情况"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    evidence = forms.FileField(label=_("整改材料"), required=False)
    note = forms.CharField(
        label=_("销号说明"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


@admin.register(LedgerEntry)
class LedgerEntryAdmin(SimpleHistoryAdmin):
    list_display = ["institution", "problem", "kind", "due_on", "closed_on", "state"]
    list_filter = [LedgerStateFilter, "kind", "suspected_crime"]
    search_fields = ["inspection__institution__name", "case_number", "transferred_to"]
    list_select_related = ["inspection__institution", "item__check_item"]
    fields = [
        "inspection",
        "item",
        "finding",
        "kind",
        "case_number",
        "transferred_to",
        "suspected_crime",
        "due_on",
        "rectification",
        "evidence_link",
        "closed_on",
        "closing_note",
        "created_by",
        "created_at",
    ]
    readonly_fields = fields
    change_form_template = "admin/inspections/ledgerentry_change_form.html"

    def has_add_permission(self, request):
        return False  # opened by the report's approval, one per problem

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("检查对象"))
    @admin.display(description=_("整改材料"))
    def evidence_link(self, obj):
        return download_link(obj, "evidence")

    def institution(self, obj):
        return obj.inspection.institution

    @admin.display(description=_("问题"))
    def problem(self, obj):
        return obj.item.check_item.name

    @admin.display(description=_("检查情况"))
    def finding(self, obj):
        return obj.item.finding

    @admin.display(description=_("状态"))
    def state(self, obj):
        if obj.closed_on:
            return gettext("已销号")
        if obj.due_on and obj.due_on < timezone.localdate():
            return format_html('<strong style="color:#b3261e">{}</strong>', gettext("已超期"))
        return gettext("办理中")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        entry = self.get_object(request, object_id)
        may_change = (
            entry is not None and not entry.is_closed and self.has_change_permission(request, entry)
        )
        if request.method == "POST":
            if may_change:
                self._ledger_post(request, entry)
            return redirect(request.path)  # the page itself is read-only
        context = {**(extra_context or {})}
        if may_change:
            fields = ("kind", "case_number", "transferred_to", "suspected_crime", "due_on")
            context["ledger_form"] = LedgerForm(initial={f: getattr(entry, f) for f in fields})
            context["close_form"] = LedgerCloseForm()
        return super().change_view(request, object_id, form_url, context)

    def _ledger_post(self, request, entry) -> None:
        closing = "_close" in request.POST
        form = LedgerCloseForm(request.POST, request.FILES) if closing else LedgerForm(request.POST)
        if not form.is_valid():
            for field, errors in form.errors.items():
                label = form.fields[field].label if field in form.fields else ""
                for error in errors:
                    messages.error(request, f"{label}：{error}" if label else error)
            return
        try:
            if closing:
                ledger_close(entry=entry, user=request.user, **form.cleaned_data)
                messages.success(request, gettext("已销号。"))
            else:
                ledger_update(entry=entry, user=request.user, **form.cleaned_data)
                messages.success(request, gettext("台账已更新。"))
        except ServiceError as exc:
            show_service_error(request, exc)


# -- filing ----------------------------------------------------------------------------------------
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
class FilingAdmin(SimpleHistoryAdmin):
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

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/receive/", view(self.receive_view), name="inspections_filing_receive"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        filing = self.get_object(request, object_id)
        may_receive = (
            filing is not None
            and filing.received_at is None
            and request.user.has_perm("inspections.change_filing")
        )
        return super().change_view(
            request, object_id, form_url, {"may_receive": may_receive, **(extra_context or {})}
        )

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
            try:
                filing = filing_submit(user=request.user, **form.cleaned_data)
            except ServiceError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, gettext("已报送法制机构备案，任务办结（N10(6)）。"))
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
            try:
                filing_receive(filing=filing, user=request.user)
            except ServiceError as exc:
                show_service_error(request, exc)
            else:
                messages.success(request, gettext("备案已接收。"))
        return redirect("admin:inspections_filing_change", filing.pk)


# -- staff downloads (core/downloads.py): never /media/ in production ------------------------------
def _record_filename(record: CheckRecord) -> str:
    return f"check-record-{record.inspection_id}-v{record.version}.pdf"


downloadable(Evidence, "file", filename=lambda e: e.original_name)
downloadable(Signature, "image", inline=True)
downloadable(
    CheckRecord,
    "pdf",
    filename=_record_filename,
    render=lambda r: documents.record_pdf_render(record=r) if r.is_submitted else None,
)
downloadable(
    InspectionReport,
    "pdf",
    filename=lambda r: f"report-task-{r.task_id}.pdf",
    render=lambda r: documents.report_pdf_render(report=r) if r.is_approved else None,
)
downloadable(
    Feedback,
    "letter",
    filename=lambda f: f"feedback-letter-{f.inspection_id}.pdf",
    render=lambda f: documents.feedback_letter_render(feedback=f),
)
downloadable(Feedback, "proof")
downloadable(LedgerEntry, "evidence")
