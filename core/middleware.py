"""Chinese is the language of every screen unless the user picks English (SPEC: zh-hans first);
no query string carries a NUL character (issue 12 §6); no request body is larger than the largest
upload (issue 14 §5)."""

from django.conf import settings
from django.core.exceptions import BadRequest, PermissionDenied, RequestDataTooBig
from django.middleware.locale import LocaleMiddleware
from django.urls import Resolver404, resolve
from django.utils import translation

from core import roles
from core.spreadsheets import cell_excerpt


class BadQueryParameter(BadRequest):
    """A query parameter no page can use; `parameter` is its name, fit to show."""

    def __init__(self, parameter: str) -> None:
        super().__init__(parameter)
        self.parameter = cell_excerpt(parameter.replace("\x00", "%00"))


class QueryStringMiddleware:
    """A NUL character in any query parameter, name or value, is a 400 naming the parameter
    (core.views.bad_request), before any view, session or query: PostgreSQL cannot compare text
    holding one, so no page could use it — it made the public searches, the open data and the
    admin's filters answer 500. Any other value a page cannot use it ignores, as
    docs/open-data.md promises."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        for name, values in request.GET.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                raise BadQueryParameter(name)
        return self.get_response(request)


class RequestTooLarge(RequestDataTooBig):
    """A body whose declared length is over REQUEST_MAX_BYTES, refused before it is read."""


class RequestSizeMiddleware:
    """Refuses a body longer than REQUEST_MAX_BYTES (the largest upload, a registry import, plus
    the form around it) from its Content-Length, before any of it is read: Django itself bounds
    only the non-file part of a body (DATA_UPLOAD_MAX_MEMORY_SIZE) and would spool any file to
    disk. The proxy refuses the same bodies first (client_max_body_size, docs/deployment.md §6);
    this holds where it is missing or misconfigured. core.views.bad_request answers 413."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads no body from a request whose length is not a number
        if length > settings.REQUEST_MAX_BYTES:
            raise RequestTooLarge(length)
        return self.get_response(request)


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Like LocaleMiddleware, but the browser's Accept-Language is ignored: a bureau's screens,
    documents and public pages are Chinese by default, and English only when chosen through the
    language switch (the set_language view's cookie)."""

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class SeparationOfDutiesMiddleware:
    """三员分立 (issue 14 §2): the system, security and audit administrators open only their own
    screens of the admin (core.roles.ADMIN_SCREENS) and none of the business — not the other
    admin pages, not the stored files, not the field screens — whatever permissions they were
    given. The public pages stay open to them as to everybody."""

    REFUSED_PREFIXES = ("/inspect/",)

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        role = roles.admin_role_of(request.user)
        if role is not None and not self.allowed(request.path_info, role):
            raise PermissionDenied(
                translation.gettext("三员分立：%(role)s不能使用业务功能。") % {"role": role}
            )
        return self.get_response(request)

    @staticmethod
    def allowed(path: str, role: str) -> bool:
        if path.startswith(SeparationOfDutiesMiddleware.REFUSED_PREFIXES):
            return False
        try:
            match = resolve(path)
        except Resolver404:
            return True  # a 404 either way
        if match.namespace != "admin":
            return not path.startswith("/admin/")
        name = match.url_name or ""
        if name in roles.ADMIN_COMMON_URL_NAMES:
            return True
        screens = roles.ADMIN_SCREENS[role]
        if name == "app_list":
            label = match.kwargs.get("app_label", "")
            return any(screen.partition(".")[0] == label for screen in screens)
        model_admin = getattr(match.func, "model_admin", None)
        if model_admin is not None:
            opts = model_admin.model._meta
            return roles.screen_matches(screens, opts.app_label, opts.model_name)
        # The model admins' own pages (an export, say) are named "<app>_<model>_<what>".
        return any(name.startswith(_url_prefix(screen)) for screen in screens)


def _url_prefix(screen: str) -> str:
    """ "core.auditevent" → "core_auditevent_"; "django_celery_beat.*" → "django_celery_beat_"."""
    app, _dot, model = screen.partition(".")
    return f"{app}_" if model == "*" else f"{app}_{model}_"
