"""Deadlines (issue 4 §4): read-only lists, the deadline board and its reminders. The sweep's writes
happen in core.deadlines; the admin only enqueues it."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core import roles
from core.admin.common import ReadOnlyAdmin, TimestampFilter, render_page
from core.models import Deadline, OutboxEmail, Reminder
from core.selectors import MET_LATE_SHOWN_DAYS, SOON_WORKDAYS, State, deadline_board
from core.tasks import deadline_sweep_task


def may_run_sweep(user) -> bool:
    """The supervision office runs the sweep on demand (it only sends what is owed anyway);
    readers (leader, legal-affairs office, auditor) do not."""
    return user.is_superuser or user.groups.filter(name=roles.STAFF).exists()


class DeadlineStateFilter(admin.SimpleListFilter):
    title = _("办理状态")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("open", _("未办结")),
            ("overdue", _("已逾期未办结")),
            ("met", _("已办结")),
            ("met_late", _("逾期办结")),
            ("unknown", _("截止日期待定（缺工作日历）")),
        ]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        filters = {
            "open": Q(met_at__isnull=True),
            "overdue": Q(met_at__isnull=True, due_on__lt=today),
            "met": Q(met_at__isnull=False),
            "met_late": Q(met_at__isnull=False, missed_at__isnull=False),
            "unknown": Q(met_at__isnull=True, due_on__isnull=True),
        }
        if self.value() in filters:
            return queryset.filter(filters[self.value()])
        return queryset


@admin.register(Deadline)
class DeadlineAdmin(ReadOnlyAdmin):
    list_display = ["title", "kind", "rule", "due_on", "responsible", "state", "met_at"]
    list_filter = [
        "kind",
        DeadlineStateFilter,
        ("responsible", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["title"]
    list_select_related = ["responsible"]
    date_hierarchy = "due_on"
    fields = [
        "title",
        "kind",
        "rule",
        "starts_on",
        "workdays",
        "due_on",
        "responsible",
        "url",
        "created_at",
        "met_at",
        "missed_at",
    ]
    change_list_template = "admin/core/deadline/change_list.html"

    @admin.display(description=_("状态"))
    def state(self, obj: Deadline) -> str:
        if obj.met_at is not None:
            return gettext("逾期办结") if obj.missed_at else gettext("按期办结")
        if obj.due_on is None:
            return gettext("截止日期待定（缺工作日历）")
        if obj.due_on < timezone.localdate():
            return format_html('<strong class="tone-bad">{}</strong>', gettext("已逾期"))
        return gettext("未到期")

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("board/", view(self.board_view), name="core_deadline_board"),
            path("sweep/", view(self.sweep_view), name="core_deadline_sweep"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra = {"may_run_sweep": may_run_sweep(request.user)}
        return super().changelist_view(request, {**extra, **(extra_context or {})})

    def board_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        mine = request.GET.get("mine") == "1"
        board = deadline_board(
            responsible=request.user if mine else None, group_by=request.GET.get("group", "")
        )
        return render_page(
            self,
            request,
            "admin/core/deadline/board.html",
            _("期限看板"),
            board=board,
            overdue_count=board.count(State.OVERDUE),
            soon_count=board.count(State.SOON),
            unknown_count=board.count(State.UNKNOWN),
            met_late_count=board.count(State.MET_LATE),
            mine=mine,
            states=State,
            soon_workdays=SOON_WORKDAYS,
            met_late_days=MET_LATE_SHOWN_DAYS,
            may_run_sweep=may_run_sweep(request.user),
            # Interrupted or failed e-mails wait for a person (issue 12 §8, core.mail).
            emails_to_review=OutboxEmail.objects.filter(
                status__in=[OutboxEmail.Status.UNKNOWN, OutboxEmail.Status.FAILED]
            ).count(),
        )

    def sweep_view(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:core_deadline_board"))
        if not (self.has_view_permission(request) and may_run_sweep(request.user)):
            raise PermissionDenied
        transaction.on_commit(deadline_sweep_task.delay)
        self.message_user(
            request, _("已提交期限检查，后台任务将补算截止日期并发送到期提醒和逾期报告。")
        )
        back = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = reverse("admin:core_deadline_board")
        return HttpResponseRedirect(back)


class ReminderSentFilter(TimestampFilter):
    title = _("发送状态")
    parameter_name = "sent"
    field = "sent_at"
    yes, no = _("已发送"), _("未发送")


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    list_display = ["deadline", "kind", "created_at", "sent_at", "recipient_names", "email_status"]
    list_filter = ["kind", ReminderSentFilter, "deadline__kind", "email__status"]
    search_fields = ["deadline__title"]
    list_select_related = ["deadline", "email"]
    fields = ["deadline", "kind", "created_at", "sent_at", "recipient_names", "email_status"]

    @admin.display(description=_("收件人"))
    def recipient_names(self, obj: Reminder) -> str:
        return "、".join(r.get("name", "") for r in obj.recipients) or "—"

    @admin.display(description=_("邮件"))
    def email_status(self, obj: Reminder) -> str:
        email = getattr(obj, "email", None)
        if email is None:
            return "—"
        url = reverse("admin:core_outboxemail_change", args=[email.pk])
        return format_html('<a href="{}">{}</a>', url, email.get_status_display())
