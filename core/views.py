"""Shared endpoints."""

from django.conf import settings
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.views.decorators.cache import cache_control, never_cache

from core.health import health_details


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
