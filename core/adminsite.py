"""The admin site, with the staff's second factor (issue 14 §1; core.twofactor).

After the password (/admin/login/) an account without a confirmed authenticator enrols one (QR
code, the secret as text, a code to confirm, then its ten recovery codes, shown once); one with an
authenticator gives a code from it or a recovery code. Until then `has_permission` is false, so no
admin page (nor anything behind `admin_view`, e.g. staff downloads) answers but login, logout
and these two pages. Installed as Django's default site by core.apps.BureauAdminConfig.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import LogoutView
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from core import twofactor


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("验证码"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}
        ),
    )


def is_verified(user) -> bool:
    """Whether the request's user passed the second factor (django-otp's middleware says)."""
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def _second_factor_view(view):
    return csrf_protect(never_cache(sensitive_post_parameters("code")(view)))


class BureauAdminSite(admin.AdminSite):
    site_header = gettext_lazy("双随机、一公开 监管平台")
    site_title = gettext_lazy("双随机、一公开 监管平台")
    index_title = gettext_lazy("业务管理")

    def has_permission(self, request) -> bool:
        return super().has_permission(request) and is_verified(request.user)

    def _password_passed(self, request) -> bool:
        user = request.user
        return user.is_active and user.is_staff and not is_verified(user)

    def _next(self, request) -> str:
        url = request.POST.get(REDIRECT_FIELD_NAME, request.GET.get(REDIRECT_FIELD_NAME, ""))
        if url and url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return url
        return reverse("admin:index", current_app=self.name)

    def _to_second_factor(self, request) -> HttpResponseRedirect:
        name = "second_factor" if twofactor.has_confirmed_totp(request.user) else "enrol"
        url = reverse(f"admin:{name}", current_app=self.name)
        return HttpResponseRedirect(
            f"{url}?{urlencode({REDIRECT_FIELD_NAME: self._next(request)})}"
        )

    @method_decorator(never_cache)
    def login(self, request, extra_context=None):
        if request.method == "GET" and self._password_passed(request):
            return self._to_second_factor(request)
        response = super().login(request, extra_context)
        if request.method == "POST" and self._password_passed(request):
            return self._to_second_factor(request)
        return response

    def get_urls(self):
        # Reachable before the second factor: logout (Django's is behind admin_view) and the two
        # second-factor pages; the recovery codes only after it.
        return [
            path("logout/", LogoutView.as_view(next_page="admin:login"), name="logout"),
            path("second-factor/", _second_factor_view(self.verify_view), name="second_factor"),
            path("second-factor/enrol/", _second_factor_view(self.enrol_view), name="enrol"),
            path(
                "second-factor/recovery-codes/",
                self.admin_view(sensitive_post_parameters()(self.recovery_codes_view)),
                name="recovery_codes",
            ),
            *super().get_urls(),
        ]

    def _page(self, request, template: str, context: dict, status: int = 200):
        context = {
            **self.each_context(request),
            "next": self._next(request),
            **context,
        }
        return TemplateResponse(request, template, context, status=status)

    def _gate(self, request):
        """Where to send a request that has no business on a second-factor page, if anywhere."""
        if not request.user.is_authenticated or not request.user.is_staff:
            return HttpResponseRedirect(reverse("admin:login", current_app=self.name))
        if is_verified(request.user):
            return HttpResponseRedirect(self._next(request))
        return None

    def verify_view(self, request):
        if (gate := self._gate(request)) is not None:
            return gate
        if not twofactor.has_confirmed_totp(request.user):
            return self._to_second_factor(request)
        form = CodeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                twofactor.second_factor_verify(request=request, code=form.cleaned_data["code"])
            except twofactor.CodeRefused as refused:
                form.add_error("code", refused.message)
            else:
                left = twofactor.recovery_codes_left(request.user)
                if left <= 3:
                    messages.warning(
                        request,
                        _("只剩 %(n)s 个恢复码，请重新生成恢复码。") % {"n": left},
                    )
                return HttpResponseRedirect(self._next(request))
        status = 400 if form.errors else 200
        return self._page(
            request,
            "admin/core/twofactor/verify.html",
            {"form": form, "title": _("第二步：验证码")},
            status,
        )

    def enrol_view(self, request):
        if (gate := self._gate(request)) is not None:
            return gate
        if twofactor.has_confirmed_totp(request.user):
            return self._to_second_factor(request)
        device = twofactor.totp_enrolment_device(request.user)
        form = CodeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                codes = twofactor.totp_enrol_confirm(
                    request=request, device=device, code=form.cleaned_data["code"]
                )
            except twofactor.CodeRefused as refused:
                form.add_error("code", refused.message)
            else:
                return self._page(
                    request,
                    "admin/core/twofactor/recovery_codes.html",
                    {"codes": codes, "title": _("已启用身份验证器：请保存恢复码")},
                )
        return self._page(
            request,
            "admin/core/twofactor/enrol.html",
            {
                "form": form,
                "title": _("启用身份验证器"),
                "qr_svg": twofactor.totp_qr_svg(device),
                "secret": twofactor.totp_secret(device),
            },
            400 if form.errors else 200,
        )

    def recovery_codes_view(self, request):
        """Own recovery codes: how many are left; new ones (the old stop working), shown once."""
        if request.method == "POST":
            codes = twofactor.recovery_codes_issue(user=request.user, request=request)
            return self._page(
                request,
                "admin/core/twofactor/recovery_codes.html",
                {"codes": codes, "title": _("新的恢复码")},
            )
        return self._page(
            request,
            "admin/core/twofactor/recovery_codes_regenerate.html",
            {
                "left": twofactor.recovery_codes_left(request.user),
                "title": _("恢复码"),
            },
        )
