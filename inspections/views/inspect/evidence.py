"""Evidence on the tablet (Y3.5): photos or PDFs uploaded to a draft record or one of its items,
shown, and taken off again."""

from django.contrib import messages
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from core.downloads import file_response
from core.exceptions import ServiceError
from inspections.models import CheckRecordItem, Evidence
from inspections.services import records as services
from inspections.views.inspect.common import (
    InspectorMixin,
    _detail_url,
    _refused,
    _removed,
    _wants_json,
)


def _evidence_json(evidence: Evidence) -> dict:
    inspection_id = evidence.record.inspection_id
    return {
        "id": evidence.pk,
        "name": evidence.original_name,
        "item": evidence.item_id,
        "is_image": evidence.is_image,
        "content_type": evidence.content_type,
        "size": evidence.size,
        "sha256": evidence.sha256,
        "url": reverse("inspect:evidence_file", args=[inspection_id, evidence.pk]),
        "remove_url": reverse("inspect:evidence_remove", args=[inspection_id, evidence.pk]),
    }


class EvidenceAddView(InspectorMixin, View):
    """Upload photos or PDFs (multipart: `file`, optional `item`)."""

    def post(self, request, pk: int, record_pk: int):
        inspection = self.get_inspection()
        record = self.get_record(inspection)
        item = None
        item_id = request.POST.get("item", "")
        if item_id:
            item = get_object_or_404(CheckRecordItem, pk=item_id, record=record)
        uploads = request.FILES.getlist("file") or request.FILES.getlist(
            f"file-{item_id or 'record'}"
        )
        if not uploads:
            error = ServiceError(_("请先选择要上传的照片或 PDF。"), code="evidence_missing")
            return _refused(request, error, inspection)
        added = []
        for upload in uploads:
            try:
                added.append(
                    services.evidence_add(
                        record=record, user=request.user, upload=upload, item=item
                    )
                )
            except ServiceError as error:
                return _refused(request, error, inspection)
        if _wants_json(request):
            return JsonResponse({"evidence": [_evidence_json(e) for e in added]})
        messages.success(request, _("已上传 %(n)s 份证据材料。") % {"n": len(added)})
        return HttpResponseRedirect(_detail_url(inspection) + "#record")


class EvidenceFileView(InspectorMixin, View):
    def get(self, request, pk: int, evidence_pk: int):
        evidence = get_object_or_404(
            Evidence, pk=evidence_pk, record__inspection=self.get_inspection()
        )
        return file_response(
            evidence.file,
            filename=evidence.original_name,
            inline=True,
            content_type=evidence.content_type,
            cache="private, max-age=3600",
        )


class EvidenceRemoveView(InspectorMixin, View):
    def post(self, request, pk: int, evidence_pk: int):
        inspection = self.get_inspection()
        evidence = get_object_or_404(Evidence, pk=evidence_pk, record__inspection=inspection)
        return _removed(
            request,
            inspection,
            evidence_pk,
            lambda: services.evidence_remove(evidence=evidence, user=request.user),
            _("已删除证据材料“%(name)s”。") % {"name": evidence.original_name},
            "#evidence",
        )
