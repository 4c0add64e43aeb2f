"""The office's screens for publishing (Y3.6, N15): publish the results of approved reports,
correct (a new version) or withdraw (with a reason) a notice; the publication log and the credit
platform's batches with their receipts, read-only."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core.admin.common import ReadOnlyHistoryAdmin as ReadOnlyAdmin
from core.downloads import download_link, downloadable
from core.exceptions import ServiceError
from inspections.models import InspectionReport
from publication.models import FeedBatch, FeedItem, Publication, ResultNotice
from publication.services import WITHHOLDABLE, notice_correct, notice_publish_all, notice_withdraw
from publication.tasks import feed_batch_send_task


class WithholdFields:
    """A field per withholdable part of a notice (Y3.6 "除依法依规不适合公开"): a reason given
    withholds that part."""

    def add_withhold_fields(self, *, help_text, initial: dict | None = None) -> None:
        for field in WITHHOLDABLE:
            self.fields[f"withhold_{field}"] = forms.CharField(
                label=_("不予公开：%(f)s")
                % {"f": ResultNotice._meta.get_field(field).verbose_name},
                required=False,
                initial=(initial or {}).get(field, ""),
                help_text=help_text,
            )

    def withheld(self) -> dict[str, str]:
        return {
            f: self.cleaned_data[f"withhold_{f}"]
            for f in WITHHOLDABLE
            if self.cleaned_data[f"withhold_{f}"].strip()
        }


class PublishForm(WithholdFields, forms.Form):
    report = forms.ModelChoiceField(label=_("抽查报告"), queryset=InspectionReport.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["report"].queryset = (
            InspectionReport.objects.filter(
                status=InspectionReport.Status.APPROVED, results__notices__isnull=True
            )
            .select_related("task")
            .distinct()
        )
        # Y3.6 "除依法依规不适合公开": withheld from the start, with the reason recorded.
        self.add_withhold_fields(help_text=_("填写依据或理由则所有结果均不公开该项。"))


class CorrectForm(WithholdFields, forms.Form):
    reason = forms.CharField(label=_("更正理由"), widget=forms.Textarea(attrs={"rows": 2}))
    findings = forms.CharField(
        label=_("检查发现（公开文本）"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, notice: ResultNotice, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["findings"].initial = notice.findings
        self.add_withhold_fields(
            help_text=_("填写依据或理由则不予公开该项（Y3.6）。"), initial=notice.withheld
        )


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("撤回理由"), widget=forms.Textarea(attrs={"rows": 3}))


@admin.register(ResultNotice)
class ResultNoticeAdmin(SimpleHistoryAdmin):
    list_display = [
        "target_name",
        "credit_code",
        "category",
        "version",
        "status",
        "published_at",
        "late",
    ]
    list_filter = ["status", "category", "late", "year", "sector"]
    search_fields = ["target_name", "=credit_code"]
    list_select_related = ["sector"]
    readonly_fields = [f.name for f in ResultNotice._meta.fields if f.name not in ("id",)]
    change_form_template = "admin/publication/resultnotice_change_form.html"

    def has_add_permission(self, request):
        return request.user.has_perm("publication.add_resultnotice")

    def has_delete_permission(self, request, obj=None):
        return False  # withdrawn with a reason, never deleted

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/correct/",
                view(self.correct_view),
                name="publication_resultnotice_correct",
            ),
            path(
                "<int:pk>/withdraw/",
                view(self.withdraw_view),
                name="publication_resultnotice_withdraw",
            ),
            *super().get_urls(),
        ]

    def _page(self, request, template, title, **context):
        return TemplateResponse(
            request,
            f"admin/publication/{template}",
            {**self.admin_site.each_context(request), "opts": self.opts, "title": title, **context},
        )

    def _may_write(self, request):
        if not request.user.has_perm("publication.change_resultnotice"):
            raise PermissionDenied

    def add_view(self, request, form_url="", extra_context=None):
        self._may_write(request)
        form = PublishForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                notices = notice_publish_all(
                    report=form.cleaned_data["report"], user=request.user, withheld=form.withheld()
                )
            except ServiceError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, gettext("已公开 %(n)s 条结果。") % {"n": len(notices)})
                return redirect("admin:publication_resultnotice_changelist")
        return self._page(request, "publish.html", gettext("公开抽查结果"), form=form)

    def correct_view(self, request, pk):
        self._may_write(request)
        notice = get_object_or_404(ResultNotice, pk=pk)
        form = CorrectForm(request.POST or None, notice=notice)
        if request.method == "POST" and form.is_valid():
            try:
                new = notice_correct(
                    notice=notice,
                    user=request.user,
                    reason=form.cleaned_data["reason"],
                    findings=form.cleaned_data["findings"],
                    withheld=form.withheld(),
                )
            except ServiceError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request, gettext("已发布更正（第 %(v)s 版）。") % {"v": new.version}
                )
                return redirect("admin:publication_resultnotice_change", new.pk)
        return self._page(
            request,
            "correct.html",
            gettext("更正：%(n)s") % {"n": notice},
            form=form,
            original=notice,
        )

    def withdraw_view(self, request, pk):
        self._may_write(request)
        notice = get_object_or_404(ResultNotice, pk=pk)
        form = WithdrawForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                notice_withdraw(
                    notice=notice, user=request.user, reason=form.cleaned_data["reason"]
                )
            except ServiceError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, gettext("已撤回，公众不再能看到该结果。"))
                return redirect("admin:publication_resultnotice_change", notice.pk)
        return self._page(
            request,
            "withdraw.html",
            gettext("撤回：%(n)s") % {"n": notice},
            form=form,
            original=notice,
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        notice = self.get_object(request, object_id)
        extra = {
            "may_write": notice is not None
            and notice.status == ResultNotice.Status.PUBLISHED
            and request.user.has_perm("publication.change_resultnotice"),
            "public_url": notice and reverse("publication:result_detail", args=[notice.pk]),
        }
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})


@admin.register(Publication)
class PublicationAdmin(ReadOnlyAdmin):
    list_display = ["at", "kind", "channel", "action", "title", "by"]
    list_filter = ["kind", "channel", "action"]
    search_fields = ["title"]
    list_select_related = ["by"]


class FeedItemInline(admin.TabularInline):
    model = FeedItem
    extra = 0
    can_delete = False
    fields = ["idempotency_key", "action", "notice", "accepted", "message"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(FeedBatch)
class FeedBatchAdmin(ReadOnlyAdmin):
    list_display = ["pk", "created_at", "status", "attempts", "sent_at", "endpoint", "file_link"]
    list_filter = ["status"]
    inlines = [FeedItemInline]
    readonly_fields = [
        "status",
        "endpoint",
        "attempts",
        "last_error",
        "sent_at",
        "receipt",
        "file_link",
    ]
    fields = readonly_fields
    actions = ["retry"]

    @admin.display(description=_("文件"))
    def file_link(self, obj):
        return download_link(obj, "file")

    @admin.action(description=_("重新发送所选的失败批次"))
    def retry(self, request, queryset):
        if not request.user.has_perm("publication.change_resultnotice"):
            raise PermissionDenied
        failed = list(queryset.filter(status=FeedBatch.Status.FAILED))
        for batch in failed:
            FeedBatch.objects.filter(pk=batch.pk).update(status=FeedBatch.Status.PENDING)
            feed_batch_send_task.delay(batch.pk)
        messages.success(request, gettext("已重新发送 %(n)s 个批次。") % {"n": len(failed)})


downloadable(FeedBatch, "file")  # core/downloads.py: never /media/ in production
