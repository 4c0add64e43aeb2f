"""Shared endpoints."""

from django.conf import settings
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache

from core.health import health_details
from core.middleware import BadQueryParameter


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


def bad_request(request, exception):
    """handler400: what was wrong, in the site's design (JSON for the .json open data), instead of
    Django's bare page. Names the parameter of a BadQueryParameter; never echoes the value."""
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
