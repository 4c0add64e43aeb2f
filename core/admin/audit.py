"""The audit administrator's view of the security audit trail (issue 14 §3): read-only, filtered
by event, outcome, user and time, searchable, and exportable as the filtered list — each export
itself an entry of the trail."""

import csv
import io
import json

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext

from core.admin.common import ReadOnlyAdmin
from core.audit import audit_record
from core.models import AuditEvent
from core.spreadsheets import csv_row, xlsx_bytes

EXPORT_FIELDS = [
    "id",
    "at",
    "username",
    "user_id",
    "ip",
    "action",
    "outcome",
    "target_model",
    "target_id",
    "target_repr",
    "detail",
    "user_agent",
    "prev_hash",
    "hash",
]
# Rows an export may hold: the trail of a busy year; beyond it, filter by time.
EXPORT_MAX_ROWS = 500_000


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "username", "ip", "action", "outcome", "target_repr"]
    list_filter = ["action", "outcome"]
    search_fields = ["username", "ip", "target_repr", "target_id"]
    date_hierarchy = "at"
    list_per_page = 100
    show_full_result_count = False  # counting a long trail on every page costs more than it helps
    fields = [
        "at",
        "username",
        "user_id",
        "ip",
        "user_agent",
        "action",
        "outcome",
        "target_model",
        "target_id",
        "target_repr",
        "detail",
        "prev_hash",
        "hash",
    ]

    def get_urls(self):
        export = path(
            "export/",
            self.admin_site.admin_view(self.export_view),
            name="core_auditevent_export",
        )
        return [export, *super().get_urls()]

    def export_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        wanted = request.GET.get("format", "csv")
        request.GET = request.GET.copy()
        request.GET.pop("format", None)
        changelist = self.get_changelist_instance(request)
        events = changelist.get_queryset(request).order_by("id")[:EXPORT_MAX_ROWS]
        rows = [[_cell(event, name) for name in EXPORT_FIELDS] for event in events.iterator()]
        filters = dict(request.GET.items())
        audit_record(
            AuditEvent.Action.AUDIT_EXPORTED,
            request=request,
            detail={"filters": filters, "rows": len(rows), "format": wanted},
        )
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        headers = [str(AuditEvent._meta.get_field(name).verbose_name) for name in EXPORT_FIELDS]
        if wanted == "xlsx":
            body = xlsx_bytes(headers, rows, title=gettext("安全审计记录"))
            response = HttpResponse(
                body,
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
            response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.xlsx"'
            return response
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(headers)
        writer.writerows(csv_row(row) for row in rows)
        response = HttpResponse(
            "\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
        return response


def _cell(event: AuditEvent, name: str):
    value = getattr(event, name)
    if name == "at":
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S.%f")
    if name == "detail":
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if name in ("action", "outcome"):
        return getattr(event, f"get_{name}_display")()
    return "" if value is None else value
