"""What every inspector screen shares: only accounts linked to an inspector of the registry log in
(Y3.3); the inspection of the URL must be one's own, any other answers 404; a refused write comes
back as its message (JSON for the page's scripts, a flash message otherwise)."""

import secrets

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.contrib.auth.views import LoginView, LogoutView, redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView

from core import identity
from core.exceptions import ServiceError
from inspections.models import CheckRecord, Inspection
from inspections.services import records as services
from registry.models import Inspector

# The tablet's device id, kept by the browser for a year and recorded with each signature.
DEVICE_COOKIE = "inspect_device"
DEVICE_COOKIE_AGE = 365 * 24 * 3600


# --- Logging in --------------------------------------------------------------------------------


class InspectorLoginForm(identity.LockoutMessageMixin, AuthenticationForm):
    """Only accounts linked to an inspector of the registry (Y3.3) use the field screens; a
    locked account or address is told until when (issue 14 §1)."""

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


def _removed(request, inspection: Inspection, pk: int, remove, message: str, anchor: str):
    """Take something off a draft record (`remove()`): its refusal, or for scripts {"removed": pk},
    otherwise `message` on the inspection's page at `anchor`."""
    try:
        remove()
    except ServiceError as error:
        return _refused(request, error, inspection)
    if _wants_json(request):
        return JsonResponse({"removed": pk})
    messages.success(request, message)
    return HttpResponseRedirect(_detail_url(inspection) + anchor)


# --- One's own password ------------------------------------------------------------------------


class InspectPasswordChangeView(InspectorMixin, FormView):
    """Change one's login password on the tablet (issue 14 §1): required before anything else
    when an administrator set it (core.identity.PasswordChangeMiddleware)."""

    template_name = "inspections/inspect/password_change.html"
    form_class = PasswordChangeForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        form.save()
        update_session_auth_hash(self.request, form.user)
        identity.password_change_done(request=self.request, user=form.user)
        messages.success(self.request, _("密码已修改。"))
        return HttpResponseRedirect(reverse("inspect:inspection_list"))

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)
