"""Shared endpoints."""

from django.http import HttpResponse
from django.views.decorators.cache import never_cache


@never_cache
def healthz(request):
    """Liveness for load balancers and container health checks: the web process answers, without
    touching the database (also the trivial view the public-load benchmark compares against)."""
    return HttpResponse("ok", content_type="text/plain")
