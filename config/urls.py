from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from core.admin.security import OwnPasswordChangeView
from core.downloads import staff_file
from core.views import favicon, healthz

# 400s (a query parameter no page can use, core.middleware) in the site's design.
handler400 = "core.views.bad_request"

urlpatterns = [
    # Stored files for staff, permission-checked (never /media/ in production).
    path(
        "admin/files/<str:label>/<int:pk>/<str:field>/",
        admin.site.admin_view(staff_file),
        name="staff_file",
    ),
    # The publication log's admin pages moved with the model to core (issue 13); old bookmarks
    # and links follow.
    re_path(
        r"^admin/publication/publication/(?P<rest>.*)$",
        RedirectView.as_view(url="/admin/core/publication/%(rest)s", query_string=True),
    ),
    # One's own password (issue 14 §1): the admin's page, which also lifts an initial password's
    # block (core.identity.PasswordChangeMiddleware); admin:password_change names this address.
    path(
        "admin/password_change/",
        admin.site.admin_view(OwnPasswordChangeView.as_view()),
    ),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    path("inspect/", include("inspections.urls_inspect")),
    # Every public page: publication/urls/ (each keeps its registry:/inspections:/publication: name).
    path("", include("publication.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
