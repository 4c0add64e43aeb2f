"""What every inspector screen shares: only accounts linked to an inspector of the registry log in
(Y3.3); the inspection of the URL must be one's own, any other answers 404; a refused write comes
back as its message (JSON for the page's scripts, a flash message otherwise)."""

import secrets

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, update_session_auth_hash
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.contrib.auth.views import LoginView, LogoutView, redirect_to_login
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView

from core import identity
from core.audit import audit_record
from core.exceptions import ServiceError
from core.models import AuditEvent
from inspections.models import CheckRecord, Inspection
from inspections.services import records as services
from inspections.services import tablets
from registry.models import Inspector

# The tablet's device id, kept by the browser for a year and recorded with each signature.
DEVICE_COOKIE = "inspect_device"
DEVICE_COOKIE_AGE = 365 * 24 * 3600


# --- Logging in --------------------------------------------------------------------------------


class InspectorLoginForm(identity.LockoutMessageMixin, AuthenticationForm):
    """Only accounts linked to an inspector of the registry (Y3.3) use the field screens, and
    only on a tablet the office bound (issue 14 §1; inspections.services.tablets): elsewhere the
    password is not even checked. A locked account or address is told until when."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "not_inspector": gettext_lazy(
            "该账号未关联执法检查人员名录，不能使用现场检查。请联系监督科。"
        ),
        "unbound_tablet": gettext_lazy(
            "本设备不是已绑定的执法平板，不能登录现场检查。请使用单位配发的平板，或请监督科为本设备生成绑定码。"
        ),
    }

    def clean(self):
        self.tablet = tablets.tablet_of_request(self.request)
        if self.tablet is None:
            typed = str(self.data.get("username") or "")[:150]
            # Named only when it is an account: a password typed as the name is never kept.
            known = typed and get_user_model()._default_manager.filter(username=typed).exists()
            audit_record(
                AuditEvent.Action.LOGIN_FAILED,
                request=self.request,
                username=typed if known else "",
                outcome=AuditEvent.Outcome.REFUSED,
                detail={"surface": "inspect", "reason": "unbound_tablet"},
            )
            raise ValidationError(self.error_messages["unbound_tablet"], code="unbound_tablet")
        return super().clean()

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if not Inspector.objects.filter(user=user).exists():
            raise ValidationError(self.error_messages["not_inspector"], code="not_inspector")


class InspectLoginView(LoginView):
    template_name = "inspections/inspect/login.html"
    authentication_form = InspectorLoginForm

    def get_default_redirect_url(self) -> str:
        return reverse("inspect:inspection_list")

    def form_valid(self, form):
        response = super().form_valid(form)
        tablets.tablet_logged_in(form.tablet)
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context["form"]
        context["unbound_tablet"] = form.is_bound and form.has_error(
            NON_FIELD_ERRORS, "unbound_tablet"
        )
        return context


class TabletBindForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("绑定码"), max_length=32)


class TabletBindView(FormView):
    """On the tablet: the binding code from the office (admin → 执法平板) for the tablet's
    token, kept in a signed, HttpOnly cookie (Secure over HTTPS)."""

    template_name = "inspections/inspect/tablet_bind.html"
    form_class = TabletBindForm

    def form_valid(self, form):
        try:
            tablet, token = tablets.tablet_bind(
                code=form.cleaned_data["code"], request=self.request
            )
        except ServiceError as error:
            form.add_error("code", error.message)
            return self.render_to_response(self.get_context_data(form=form), status=400)
        messages.success(
            self.request, _("本设备已绑定为“%(name)s”，现在可以登录。") % {"name": tablet.name}
        )
        response = HttpResponseRedirect(reverse("inspect:login"))
        response.set_signed_cookie(
            tablets.COOKIE,
            token,
            salt=tablets.COOKIE_SALT,
            max_age=tablets.COOKIE_MAX_AGE,
            httponly=True,
            samesite="Strict",
            secure=self.request.is_secure() or settings.SESSION_COOKIE_SECURE,
        )
        return response


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
