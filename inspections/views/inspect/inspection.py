"""The inspectors' screens on /inspect/ (issue 4 §1; Y3.3, Y3.5, N9, N11): log in, my
inspections, the check record filled in on a tablet (autosaved, kept on the device when offline),
evidence, signatures, submission, versions and corrections.

Every URL below an inspection looks it up among the user's own (`inspections_of`): any other
inspection, record, file or signature answers 404. The writes go through
inspections/services/records.py; a refused one comes back as its message (JSON for the page's
scripts, a flash message otherwise).
"""

import json
import secrets

from django.contrib import messages
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView, LogoutView, redirect_to_login
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Prefetch, Subquery
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from core.downloads import file_response
from core.exceptions import ServiceError
from core.models import Deadline
from inspections.models import (
    CheckRecord,
    CheckRecordItem,
    Evidence,
    Inspection,
    InspectionMember,
    InspectionTask,
    Signature,
    SigningPin,
)
from inspections.services import records as services
from inspections.services import signatures
from registry.models import Inspector, Method

LIST_LIMIT = 200  # an inspector has a few dozen a year; the list is not paginated
PROBLEMS_KEY = "inspect_record_problems"
# The tablet's device id, kept by the browser for a year and recorded with each signature.
DEVICE_COOKIE = "inspect_device"
DEVICE_COOKIE_AGE = 365 * 24 * 3600


# --- Logging in --------------------------------------------------------------------------------


class InspectorLoginForm(AuthenticationForm):
    """Only accounts linked to an inspector of the registry (Y3.3) use the field screens."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "not_inspector": gettext_lazy(
            "该账号未关联执法检查人员名录，不能使用现场检查。请联系监督科。"
        ),
    }

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if not Inspector.objects.filter(user=user).exists():
            raise ValidationError(self.error_messages["not_inspector"], code="not_inspector")


class InspectLoginView(LoginView):
    template_name = "inspections/inspect/login.html"
    authentication_form = InspectorLoginForm

    def get_default_redirect_url(self) -> str:
        return reverse("inspect:inspection_list")


class InspectLogoutView(LogoutView):
    next_page = "inspect:login"


# --- Access ------------------------------------------------------------------------------------


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "") or (
        request.content_type == "application/json"
    )


class InspectorMixin:
    """Logged in, with an inspector account; the inspection of the URL must be one's own (404
    otherwise). The page's scripts get JSON answers instead of redirects."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            if _wants_json(request):
                return JsonResponse(
                    {"error": _("登录已过期，请重新登录；未保存的内容仍保存在本机。")},
                    status=401,
                )
            return redirect_to_login(request.get_full_path(), reverse("inspect:login"))
        self.inspector = Inspector.objects.filter(user=request.user).first()
        if self.inspector is None:
            return TemplateResponse(request, "inspections/inspect/not_inspector.html", status=403)
        try:
            response = super().dispatch(request, *args, **kwargs)
        except Http404:
            # Not mine, or not there: the same answer, in the screens' own words.
            if _wants_json(request):
                return JsonResponse({"error": _("没有找到。")}, status=404)
            return TemplateResponse(request, "inspections/inspect/not_found.html", status=404)
        if DEVICE_COOKIE not in request.COOKIES:
            response.set_cookie(
                DEVICE_COOKIE,
                secrets.token_hex(16),
                max_age=DEVICE_COOKIE_AGE,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure(),
            )
        return response

    def get_inspection(self) -> Inspection:
        return get_object_or_404(
            services.inspections_of(self.request.user).select_related(
                "task", "task__sector", "institution"
            ),
            pk=self.kwargs["pk"],
        )

    def get_record(self, inspection: Inspection) -> CheckRecord:
        return get_object_or_404(CheckRecord, pk=self.kwargs["record_pk"], inspection=inspection)


def _refused(request, error: ServiceError, inspection: Inspection, status: int = 400):
    """A service's refusal: JSON for scripts, otherwise a message on the inspection's page."""
    if _wants_json(request):
        body = {"error": str(error.message), "code": error.code}
        if isinstance(error, services.RecordIncomplete):
            body["problems"] = [str(p) for p in error.problems]
        return JsonResponse(body, status=status)
    messages.error(request, error.message)
    return HttpResponseRedirect(_detail_url(inspection))


def _detail_url(inspection: Inspection) -> str:
    return reverse("inspect:inspection_detail", args=[inspection.pk])


def _deadlines_by_task(task_ids) -> dict[int, list[Deadline]]:
    """The task's deadlines (N13 report, Y3.6/N15 publication …), when the office has any."""
    content_type = ContentType.objects.get_for_model(InspectionTask)
    rows: dict[int, list[Deadline]] = {}
    deadlines = Deadline.objects.filter(subject_type=content_type, subject_id__in=task_ids)
    for deadline in deadlines.order_by("due_on", "pk"):
        rows.setdefault(deadline.subject_id, []).append(deadline)
    return rows


# --- My inspections ----------------------------------------------------------------------------


class InspectionListView(InspectorMixin, TemplateView):
    """The inspections whose team I am on, nothing else (issue 4 §1): target, team, check items,
    dates and the task's deadlines; a bounded number of queries however many there are."""

    template_name = "inspections/inspect/inspection_list.html"

    def get_context_data(self, **kwargs):
        latest = CheckRecord.objects.filter(inspection=OuterRef("pk")).order_by("-version")
        inspections = list(
            services.inspections_of(self.request.user)
            .select_related("task", "task__sector", "institution")
            .annotate(
                items_count=services.check_items_count_subquery(),
                record_version=Subquery(latest.values("version")[:1]),
                record_status=Subquery(latest.values("status")[:1]),
                inspected_on=Subquery(latest.values("inspected_on")[:1]),
            )
            .prefetch_related(
                Prefetch(
                    "members",
                    queryset=InspectionMember.objects.select_related("inspector").order_by(
                        "position"
                    ),
                )
            )
            .order_by("-task__starts_on", "task_id", "pk")[:LIST_LIMIT]
        )
        deadlines = _deadlines_by_task({i.task_id for i in inspections})
        for inspection in inspections:
            inspection.deadlines = deadlines.get(inspection.task_id, [])
            inspection.record_status_label = (
                CheckRecord.Status(inspection.record_status).label
                if inspection.record_status
                else ""
            )
        context = super().get_context_data(**kwargs)
        context.update(
            inspections=inspections,
            open_count=sum(
                i.status in (Inspection.Status.PLANNED, Inspection.Status.IN_PROGRESS)
                for i in inspections
            ),
            today=timezone.localdate(),
        )
        return context


# --- One inspection and its record -------------------------------------------------------------


def _messages_for_scripts() -> dict:
    """The texts the page's scripts show, translated here (the scripts have no catalogue)."""
    return {
        "saved": _("已保存"),
        "saved_at": _("已保存 %(time)s"),
        "offline": _("离线，已保存在本机"),
        "syncing": _("正在同步…"),
        "pending": _("有修改，稍后自动保存"),
        "restored": _("已恢复本机保存的未同步内容，正在同步…"),
        "login": _("登录已过期：内容已保存在本机。请在新窗口重新登录，然后回到本页。"),
        "locked": _("这份检查记录已提交或已取消，修改未保存。"),
        "failed": _("未保存：%(error)s"),
        "uploading": _("正在上传 %(name)s…"),
        "uploaded": _("已上传 %(name)s"),
        "upload_queued": _("离线：%(name)s 已保存在本机，联网后自动上传"),
        "too_big": _("文件“%(name)s”超过 10 MB 的上限，未上传。"),
        "remove": _("删除"),
        "remove_confirm": _("删除这份证据材料？"),
        "sign_empty": _("请先在框内签名。"),
        "sign_queued": _("离线：签名已保存在本机，联网后自动提交"),
        "sign_credential_empty": _("请签名人本人输入签名密码（PIN）或登录密码。"),
        "sign_needs_network": _("同事的签名须联网核验其本人密码，未保存；请联网后重新签名并确认。"),
        "sign_saved": _("已签名 %(time)s"),
        "sign_remove": _("撤回签名"),
        "sign_remove_confirm": _("撤回这个签名？"),
        "submit_offline": _("还有修改未同步到服务器，请联网后再提交。"),
        "submit_confirm": _("提交后检查记录将被锁定，只能通过更正修改。确认提交？"),
    }


class InspectionDetailView(InspectorMixin, TemplateView):
    """One of my inspections: the target, the team, the task's deadlines and the record — the form
    while a draft, the locked record once submitted — with every version."""

    template_name = "inspections/inspect/inspection_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        inspection = self.get_inspection()
        context.update(inspection_context(inspection, self.request.user))
        context["problems"] = self.request.session.pop(PROBLEMS_KEY, None)
        return context


def inspection_context(inspection: Inspection, user, record: CheckRecord | None = None) -> dict:
    """What the inspection page shows: `record` (the latest version unless given) with its rows,
    evidence and signatures loaded, the team and who has signed."""
    members = list(
        inspection.members.select_related("inspector").prefetch_related("inspector__sectors")
    )
    versions = list(
        inspection.records.select_related("submitted_by__inspector").order_by("version")
    )
    if record is None:
        record = versions[-1] if versions else None
    context = {
        "inspection": inspection,
        "members": members,
        "versions": versions,
        "record": record,
        "deadlines": _deadlines_by_task([inspection.task_id]).get(inspection.task_id, []),
        "me": next((m for m in members if m.inspector.user_id == user.pk), None),
        "today": timezone.localdate(),
    }
    if record is None:
        return context
    items = list(
        record.items.select_related("check_item").prefetch_related("evidence").order_by("order")
    )
    signatures = list(record.signatures.select_related("inspector"))
    signed = {s.inspector_id: s for s in signatures if s.role == Signature.Role.INSPECTOR}
    day = record.inspected_on
    signers = []
    for member in members:
        reasons = member.inspector.ineligibility_reasons(day, inspection.task.sector) if day else []
        signers.append(
            {
                "member": member,
                "signature": signed.get(member.inspector_id),
                "reasons": reasons,
                "mine": member.inspector.user_id == user.pk,
            }
        )
    context.update(
        items=items,
        record_evidence=[e for e in record.evidence.all() if e.item_id is None],
        signers=signers,
        representative_signature=next(
            (s for s in signatures if s.role == Signature.Role.REPRESENTATIVE), None
        ),
        outcomes=CheckRecordItem.Outcome.choices,
        methods=Method.choices,
        is_latest=record.pk == versions[-1].pk,
        editable=record.status == CheckRecord.Status.DRAFT
        and inspection.status != Inspection.Status.CANCELLED,
        state=services.record_state(record),
        script_messages=_messages_for_scripts(),
        max_evidence_bytes=services.MAX_EVIDENCE_BYTES,
    )
    return context


class RecordDetailView(InspectorMixin, TemplateView):
    """One version of the record as it was (every version stays, Y3.5)."""

    template_name = "inspections/inspect/record_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        inspection = self.get_inspection()
        record = self.get_record(inspection)
        context.update(inspection_context(inspection, self.request.user, record))
        return context


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


# --- Evidence and signatures -------------------------------------------------------------------


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
        try:
            services.evidence_remove(evidence=evidence, user=request.user)
        except ServiceError as error:
            return _refused(request, error, inspection)
        if _wants_json(request):
            return JsonResponse({"removed": evidence_pk})
        messages.success(
            request, _("已删除证据材料“%(name)s”。") % {"name": evidence.original_name}
        )
        return HttpResponseRedirect(_detail_url(inspection) + "#evidence")


class SignatureAddView(InspectorMixin, View):
    """A signature pad's PNG (JSON: {role, inspector, image})."""

    def post(self, request, pk: int, record_pk: int):
        inspection = self.get_inspection()
        record = self.get_record(inspection)
        try:
            body = json.loads(request.body or b"{}")
            role, image = body["role"], body["image"]
        except (ValueError, KeyError, TypeError):
            return JsonResponse({"error": _("签名请求的格式不正确。")}, status=400)
        inspector = None
        if role == Signature.Role.INSPECTOR:
            inspector = _inspector_of(body.get("inspector"))
        credential = body.get("credential") or ""
        if not isinstance(credential, str):
            return JsonResponse({"error": _("签名请求的格式不正确。")}, status=400)
        try:
            signature = signatures.signature_add(
                record=record,
                user=request.user,
                role=role,
                data_url=image,
                inspector=inspector,
                credential=credential,
                device=_device(request),
            )
        except ServiceError as error:
            return _refused(request, error, inspection)
        return JsonResponse(
            {
                "id": signature.pk,
                "name": signature.name,
                "signed_at": timezone.localtime(signature.signed_at).strftime("%Y-%m-%d %H:%M"),
                "confirmed": signature.get_confirmed_by_display(),
                "url": reverse("inspect:signature_image", args=[inspection.pk, signature.pk]),
                "remove_url": reverse(
                    "inspect:signature_remove", args=[inspection.pk, signature.pk]
                ),
            }
        )


def _inspector_of(value) -> Inspector | None:
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    try:
        pk = int(value)
    except ValueError:
        return None
    return (
        Inspector.objects.filter(pk=pk).select_related("user").first() if 0 < pk < 2**63 else None
    )


def _device(request) -> signatures.Device:
    """The tablet a signature is captured on (its cookie), its browser and address."""
    device = request.COOKIES.get(DEVICE_COOKIE, "")
    if not (device.isascii() and device.isalnum()):
        device = ""
    return signatures.Device(
        id=device[:64],
        user_agent=request.headers.get("User-Agent", "")[:300],
        ip_address=request.META.get("REMOTE_ADDR") or None,
    )


class SignatureImageView(InspectorMixin, View):
    def get(self, request, pk: int, signature_pk: int):
        signature = get_object_or_404(
            Signature, pk=signature_pk, record__inspection=self.get_inspection()
        )
        return file_response(
            signature.image, filename="signature.png", inline=True, content_type="image/png"
        )


class SignatureRemoveView(InspectorMixin, View):
    def post(self, request, pk: int, signature_pk: int):
        inspection = self.get_inspection()
        signature = get_object_or_404(Signature, pk=signature_pk, record__inspection=inspection)
        try:
            signatures.signature_remove(signature=signature, user=request.user)
        except ServiceError as error:
            return _refused(request, error, inspection)
        if _wants_json(request):
            return JsonResponse({"removed": signature_pk})
        messages.success(request, _("已撤回 %(name)s 的签名。") % {"name": signature.name})
        return HttpResponseRedirect(_detail_url(inspection) + "#signatures")


# --- The signing PIN ---------------------------------------------------------------------------


class SigningPinView(InspectorMixin, TemplateView):
    """Set one's own signing PIN (签名密码), confirmed with the login password: typed on a
    colleague's tablet, it confirms one's own signature (Y3.3, N11)."""

    template_name = "inspections/inspect/signing_pin.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["pin"] = SigningPin.objects.filter(user=self.request.user).first()
        context["pin_min"], context["pin_max"] = signatures.PIN_MIN, signatures.PIN_MAX
        return context

    def post(self, request):
        try:
            signatures.signing_pin_set(
                user=request.user,
                password=request.POST.get("password", ""),
                pin=request.POST.get("pin", ""),
                pin_again=request.POST.get("pin_again", ""),
            )
        except ServiceError as error:
            context = self.get_context_data(error=error.message)
            return self.render_to_response(context, status=400)
        messages.success(
            request, _("签名密码已设置。在同事的平板上签名时，输入它即可确认本人签名。")
        )
        return HttpResponseRedirect(reverse("inspect:inspection_list"))
