"""The front page and the public registries (namespace `registry`: see publication/urls/)."""

from django.urls import path

from publication.views import home, registry

app_name = "registry"
urlpatterns = [
    path("", home.HomeView.as_view(), name="home"),
    path("list/", registry.CheckItemListView.as_view(), name="checkitem_list"),
    path("registry/", registry.InstitutionListView.as_view(), name="institution_list"),
    path(
        "registry/<str:credit_code>/",
        registry.InstitutionDetailView.as_view(),
        name="institution_detail",
    ),
    path("inspectors/", registry.InspectorListView.as_view(), name="inspector_list"),
]
