"""Shared endpoints."""

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from core.middleware import BadQueryParameter


@never_cache
def healthz(request):
    """Liveness for load balancers and container health checks: the web process answers, without
    touching the database (also the trivial view the public-load benchmark compares against)."""
    return HttpResponse("ok", content_type="text/plain")


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
