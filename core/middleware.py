"""Chinese is the language of every screen unless the user picks English (SPEC: zh-hans first);
no query string carries a NUL character (issue 12 §6)."""

from django.conf import settings
from django.core.exceptions import BadRequest
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

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
