from django.urls import path

from inspections import views

app_name = "inspections"
urlpatterns = [
    path("plans/", views.PlanListView.as_view(), name="plan_list"),
    path("plans/<int:pk>/", views.PlanDetailView.as_view(), name="plan_detail"),
    path("draws/", views.DrawListView.as_view(), name="draw_list"),
    path("draws.json", views.DrawListJsonView.as_view(), name="draw_list_json"),
    path("draws/<int:pk>/", views.DrawDetailView.as_view(), name="draw_detail"),
    path("draws/<int:pk>.json", views.DrawJsonView.as_view(), name="draw_json"),
    path("tools/verify_draw.py", views.VerifierDownloadView.as_view(), name="verifier_download"),
]
