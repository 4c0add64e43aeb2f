"""The personal notifications (issue 4 §4): read-only for the office, and every staff user's own
list of theirs."""

from django.contrib import admin
from django.db.models import F
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from core import deadlines
from core.admin.common import ReadOnlyAdmin, TimestampFilter, render_page
from core.models import Notification

MY_NOTIFICATIONS_SHOWN = 100


class NotificationReadFilter(TimestampFilter):
    title = _("阅读状态")
    parameter_name = "read"
    field = "read_at"
    yes, no = _("已读"), _("未读")


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["title", "user", "created_at", "read_at"]
    list_filter = [NotificationReadFilter, ("user", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["title"]
    list_select_related = ["user"]
    fields = ["user", "title", "body", "url", "created_at", "read_at"]

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("mine/", view(self.mine_view), name="core_notification_mine"),
            path("mine/read/", view(self.read_view), name="core_notification_read"),
            *super().get_urls(),
        ]

    def mine_view(self, request: HttpRequest) -> HttpResponse:
        """Every staff user's own notifications (no model permission needed: they are theirs)."""
        notifications = Notification.objects.filter(user=request.user).order_by(
            F("read_at").desc(nulls_first=True), "-created_at", "-pk"
        )[:MY_NOTIFICATIONS_SHOWN]
        return render_page(
            self,
            request,
            "admin/core/notification/mine.html",
            _("我的通知"),
            notifications=notifications,
            shown=MY_NOTIFICATIONS_SHOWN,
        )

    def read_view(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST":
            ids = request.POST.getlist("id")
            ids = [int(i) for i in ids if i.isdigit()] if ids else None
            deadlines.notifications_mark_read(user=request.user, ids=ids)
        return HttpResponseRedirect(reverse("admin:core_notification_mine"))
