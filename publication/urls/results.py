from django.urls import path

from publication import views

app_name = "publication"
urlpatterns = [
    path("results/", views.ResultListView.as_view(), name="result_list"),
    path("results/<int:pk>/", views.ResultDetailView.as_view(), name="result_detail"),
    path("results.csv", views.ResultCsvView.as_view(), name="result_list_csv"),
    path("results.json", views.ResultJsonView.as_view(), name="result_list_json"),
    path("results.atom", views.ResultAtomView.as_view(), name="result_list_atom"),
]
