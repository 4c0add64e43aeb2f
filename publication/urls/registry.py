from django.urls import path

from registry import views

app_name = "registry"
urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("list/", views.CheckItemListView.as_view(), name="checkitem_list"),
    path("registry/", views.InstitutionListView.as_view(), name="institution_list"),
    path(
        "registry/<str:credit_code>/",
        views.InstitutionDetailView.as_view(),
        name="institution_detail",
    ),
    path("inspectors/", views.InspectorListView.as_view(), name="inspector_list"),
]
