"""The public site, mounted at / by config/urls.py. Every public page is publication's (issue 13
§1), but each keeps the URL name it was born with: the registry's pages are `registry:…`, the
plans' and draws' `inspections:…`, the results' `publication:…` — templates, admin screens,
notifications and tests reverse them by those names. One module per namespace (Django keeps one
URL module per namespace: a second `inspections` include would hide the first)."""

from django.urls import include, path

urlpatterns = [
    path("", include("publication.urls.registry")),
    path("", include("publication.urls.inspections")),
    path("", include("publication.urls.results")),
]
