"""The public plans and draws, and the verifier (namespace `inspections`: see publication/urls/).
The inspectors' own screens on /inspect/ are not public: inspections/urls_inspect.py."""

from django.urls import path

from publication.views import draws, plans

app_name = "inspections"
urlpatterns = [
    path("plans/", plans.PlanListView.as_view(), name="plan_list"),
    path("plans/<int:pk>/", plans.PlanDetailView.as_view(), name="plan_detail"),
    path("draws/", draws.DrawListView.as_view(), name="draw_list"),
    path("draws.json", draws.DrawListJsonView.as_view(), name="draw_list_json"),
    path("draws/<int:pk>/", draws.DrawDetailView.as_view(), name="draw_detail"),
    path("draws/<int:pk>.json", draws.DrawJsonView.as_view(), name="draw_json"),
    path("tools/verify_draw.py", draws.VerifierDownloadView.as_view(), name="verifier_download"),
]
