"""The inspectors' screens (issue 4 §1), mounted at /inspect/ by config/urls.py."""

from django.urls import path

from inspections.views import inspect as views
from inspections.views import report_review

app_name = "inspect"
urlpatterns = [
    path("login/", views.InspectLoginView.as_view(), name="login"),
    path("logout/", views.InspectLogoutView.as_view(), name="logout"),
    path("tablet/", views.TabletBindView.as_view(), name="tablet_bind"),
    path("", views.InspectionListView.as_view(), name="inspection_list"),
    path("password/", views.InspectPasswordChangeView.as_view(), name="password_change"),
    path("pin/", views.SigningPinView.as_view(), name="signing_pin"),
    path("<int:pk>/", views.InspectionDetailView.as_view(), name="inspection_detail"),
    path("<int:pk>/records/start/", views.RecordStartView.as_view(), name="record_start"),
    path(
        "<int:pk>/records/<int:record_pk>/",
        views.RecordDetailView.as_view(),
        name="record_detail",
    ),
    path(
        "<int:pk>/records/<int:record_pk>/save/",
        views.RecordSaveView.as_view(),
        name="record_save",
    ),
    path(
        "<int:pk>/records/<int:record_pk>/submit/",
        views.RecordSubmitView.as_view(),
        name="record_submit",
    ),
    path(
        "<int:pk>/records/<int:record_pk>/correct/",
        views.RecordCorrectView.as_view(),
        name="record_correct",
    ),
    path(
        "<int:pk>/records/<int:record_pk>/pdf/",
        views.RecordPdfView.as_view(),
        name="record_pdf",
    ),
    path(
        "<int:pk>/records/<int:record_pk>/evidence/",
        views.EvidenceAddView.as_view(),
        name="evidence_add",
    ),
    path(
        "<int:pk>/evidence/<int:evidence_pk>/",
        views.EvidenceFileView.as_view(),
        name="evidence_file",
    ),
    path(
        "<int:pk>/evidence/<int:evidence_pk>/remove/",
        views.EvidenceRemoveView.as_view(),
        name="evidence_remove",
    ),
    path(
        "<int:pk>/records/<int:record_pk>/signatures/",
        views.SignatureAddView.as_view(),
        name="signature_add",
    ),
    path(
        "<int:pk>/signatures/<int:signature_pk>/",
        views.SignatureImageView.as_view(),
        name="signature_image",
    ),
    path(
        "<int:pk>/signatures/<int:signature_pk>/remove/",
        views.SignatureRemoveView.as_view(),
        name="signature_remove",
    ),
    # N10(5): the team leader reviews the report here, the leader in charge in the admin.
    path("reports/", report_review.ReportListView.as_view(), name="report_list"),
    path(
        "reports/<int:report_pk>/",
        report_review.ReportDetailView.as_view(),
        name="report_detail",
    ),
    path(
        "reports/<int:report_pk>/approve/",
        report_review.ReportApproveView.as_view(),
        name="report_approve",
    ),
]
