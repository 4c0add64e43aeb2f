"""Shared endpoints."""

from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache

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
