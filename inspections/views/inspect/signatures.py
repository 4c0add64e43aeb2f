"""Signatures on the tablet (Y3.3, N11, Y3.5): each team member's and the representative's, a
colleague's confirmed by their own PIN or password; and setting one's own signing PIN."""

import json

from django.contrib import messages
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from core.downloads import file_response
from core.exceptions import ServiceError
from inspections.models import Signature, SigningPin
from inspections.services import signatures
from inspections.views.inspect.common import DEVICE_COOKIE, InspectorMixin, _refused, _removed
from registry.models import Inspector


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
        return _removed(
            request,
            inspection,
            signature_pk,
            lambda: signatures.signature_remove(signature=signature, user=request.user),
            _("已撤回 %(name)s 的签名。") % {"name": signature.name},
            "#signatures",
        )


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
