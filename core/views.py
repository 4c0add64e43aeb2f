"""Shared endpoints."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache

from core.health import health_details
from core.middleware import BadQueryParameter, RequestTooLarge


@never_cache
def healthz(request):
    """Liveness for load balancers and container health checks: the web process answers, without
    touching the database (also the trivial view the public-load benchmark compares against).
    With `?details=1`, what the apps check (the PDF fonts…), as JSON: 503 when something is
    wrong, so a monitor can alert on it."""
    if request.GET.get("details"):
        details = health_details()
        return JsonResponse(details, status=200 if details["ok"] else 503)
    return HttpResponse("ok", content_type="text/plain")


@cache_control(max_age=86400, public=True)
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page links (the pages link the hashed URL). The
    redirect goes to the file's plain name, which collectstatic keeps beside the hashed copy, so a
    redirect cached for a day never points at a file a new release has dropped."""
    return HttpResponseRedirect(f"{settings.STATIC_URL}favicon.ico")


def _upload_refusal(exception) -> tuple[str, int] | None:
    """What to say about a body over one of the upload limits (issue 14 §5), and the status."""
    if isinstance(exception, RequestDataTooBig):
        limit = settings.REQUEST_MAX_BYTES
        if not isinstance(exception, RequestTooLarge):
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return _("提交的内容超过 %(mb)s MB 的上限，未被接收。") % {"mb": f"{limit / 2**20:g}"}, 413
    if isinstance(exception, TooManyFieldsSent):
        return _("提交的字段超过 %(n)s 个的上限，未被接收。") % {
            "n": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        }, 400
    if isinstance(exception, TooManyFilesSent):
        return _("一次提交的文件超过 %(n)s 个的上限，未被接收。") % {
            "n": settings.DATA_UPLOAD_MAX_NUMBER_FILES
        }, 400
    return None


def bad_request(request, exception):
    """handler400: what was wrong, in the site's design (JSON for the .json open data and the
    tablet's scripts), instead of Django's bare page. Names the parameter of a
    BadQueryParameter; never echoes the value. A body over an upload limit is a 413 saying the
    limit (nothing of it was used)."""
    refusal = _upload_refusal(exception)
    if refusal:
        message, status = refusal
        if request.path.endswith(".json") or "application/json" in request.headers.get(
            "Accept", ""
        ):
            return JsonResponse(
                {"error": message, "code": "too_large"},
                status=status,
                json_dumps_params={"ensure_ascii": False},
            )
        return render(request, "400.html", {"refusal": message}, status=status)
    parameter = exception.parameter if isinstance(exception, BadQueryParameter) else ""
    if request.path.endswith(".json"):
        message = (
            _("查询参数“%(name)s”含有空字符，无法查询。") % {"name": parameter}
            if parameter
            else _("请求有误。")
        )
        return JsonResponse(
            {"error": message, "parameter": parameter},
            status=400,
            json_dumps_params={"ensure_ascii": False},
        )
    return render(request, "400.html", {"parameter": parameter}, status=400)
