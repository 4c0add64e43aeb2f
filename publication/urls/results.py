"""The public results and their open data (namespace `publication`: see publication/urls/)."""

from django.urls import path

from publication.views import results

app_name = "publication"
urlpatterns = [
    path("results/", results.ResultListView.as_view(), name="result_list"),
    path("results/<int:pk>/", results.ResultDetailView.as_view(), name="result_detail"),
    path("results.csv", results.ResultCsvView.as_view(), name="result_list_csv"),
    path("results.json", results.ResultJsonView.as_view(), name="result_list_json"),
    path("results.atom", results.ResultAtomView.as_view(), name="result_list_atom"),
]
