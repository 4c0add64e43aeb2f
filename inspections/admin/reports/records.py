"""The inspections and their check records, read-only in the office: the inspectors write them on
/inspect/ (Y3.3, Y3.5, N9)."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.downloads import download_link, download_url
from inspections.admin.common import ReadOnlyAdmin, ReadOnlyInline, document_link
from inspections.models import (
    CheckRecord,
    CheckRecordItem,
    Evidence,
    Inspection,
    InspectionMember,
    Signature,
)


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
        return format_html('<img src="{}" alt="" class="insp-thumb">', url)


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
        return document_link(obj, "pdf", signed=obj.is_submitted)
