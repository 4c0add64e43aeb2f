"""The check record on the tablet (Y3.5, N9): started, autosaved (kept on the device when offline),
submitted once complete (Y3.3, N11), corrected as a new version, and its PDF."""

import json

from django.contrib import messages
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.utils.translation import gettext as _
from django.views import View

from core.downloads import file_response
from core.exceptions import ServiceError
from inspections.models import CheckRecord
from inspections.services import records as services
from inspections.views.inspect.common import InspectorMixin, _detail_url, _refused, _wants_json

PROBLEMS_KEY = "inspect_record_problems"


class RecordStartView(InspectorMixin, View):
    def post(self, request, pk: int):
        inspection = self.get_inspection()
        try:
            services.record_start(inspection=inspection, user=request.user)
        except ServiceError as error:
            return _refused(request, error, inspection)
        return HttpResponseRedirect(_detail_url(inspection) + "#record")


def _form_changes(post, record: CheckRecord) -> tuple[dict, dict]:
    """The record form posted without scripts: every field of it."""
    fields = {name: post.get(name, "") for name in services.RECORD_TEXT_FIELDS}
    fields["inspected_on"] = post.get("inspected_on", "")
    for name in services.RECORD_BOOL_FIELDS:
        fields[name] = name in post
    items = {
        str(item.pk): {
            name: post.get(f"item-{item.pk}-{name}", "") for name in services.ITEM_FIELDS
        }
        for item in record.items.all()
    }
    return fields, items


class RecordSaveView(InspectorMixin, View):
    """The autosave (JSON: {revision, fields, items}) answers with the record's state and whether
    it was applied; the same save sent twice is applied once. Without scripts, the whole form is
    posted and saved as the next revision."""

    def post(self, request, pk: int, record_pk: int):
        inspection = self.get_inspection()
        record = self.get_record(inspection)
        if request.content_type == "application/json":
            try:
                body = json.loads(request.body or b"{}")
                revision, fields, items = body["revision"], body.get("fields"), body.get("items")
                if not isinstance(fields or {}, dict) or not isinstance(items or {}, dict):
                    raise TypeError
            except (ValueError, KeyError, TypeError):
                return JsonResponse({"error": _("保存请求的格式不正确。")}, status=400)
        else:
            fields, items = _form_changes(request.POST, record)
            revision = record.revision + 1
        before = record.revision
        try:
            record = services.record_save_draft(
                record=record, user=request.user, revision=revision, fields=fields, items=items
            )
        except ServiceError as error:
            status = 409 if error.code in ("locked", "cancelled") else 400
            return _refused(request, error, inspection, status=status)
        if not _wants_json(request):
            messages.success(request, _("已保存。"))
            return HttpResponseRedirect(_detail_url(inspection) + "#record")
        state = services.record_state(record)
        state["applied"] = record.revision != before
        return JsonResponse(state)


class RecordSubmitView(InspectorMixin, View):
    def post(self, request, pk: int, record_pk: int):
        inspection = self.get_inspection()
        record = self.get_record(inspection)
        try:
            services.record_submit(record=record, user=request.user)
        except services.RecordIncomplete as error:
            if _wants_json(request):
                return _refused(request, error, inspection)
            # Shown once by the inspection page (after a redirect, so a reload does not post).
            request.session[PROBLEMS_KEY] = [str(p) for p in error.problems]
            return HttpResponseRedirect(_detail_url(inspection) + "#problems")
        except ServiceError as error:
            return _refused(request, error, inspection)
        messages.success(
            request,
            _("第 %(v)s 版检查记录已提交并锁定；PDF 正在生成。") % {"v": record.version},
        )
        return HttpResponseRedirect(_detail_url(inspection))


class RecordCorrectView(InspectorMixin, View):
    def post(self, request, pk: int, record_pk: int):
        inspection = self.get_inspection()
        record = self.get_record(inspection)
        try:
            correction = services.record_correct(
                record=record, user=request.user, reason=request.POST.get("reason", "")
            )
        except ServiceError as error:
            return _refused(request, error, inspection)
        messages.success(
            request,
            _("已生成第 %(v)s 版（更正稿）；第 %(old)s 版原样保留。")
            % {"v": correction.version, "old": record.version},
        )
        return HttpResponseRedirect(_detail_url(inspection) + "#record")


class RecordPdfView(InspectorMixin, View):
    """The rendered PDF of a submitted version, once the background job has made it."""

    def get(self, request, pk: int, record_pk: int):
        record = self.get_record(self.get_inspection())
        if not record.pdf:
            raise Http404
        return file_response(
            record.pdf,
            filename=f"check-record-{record.inspection_id}-v{record.version}.pdf",
            inline=True,
        )
