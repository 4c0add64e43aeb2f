"""Admin for the working-day calendar (SPEC §6) and the deadlines (issue 4 §4).

The calendar: staff enter next year's schedule here once the
State Council publishes it, by hand or by importing the `date,kind,name` CSV, and mark the year
complete. Every write goes through core.services; simple-history records who changed what (N6)."""

from functools import partial

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core import deadlines, mail, roles, services
from core.exceptions import ServiceError
from core.models import CalendarDay, CalendarYear, Deadline, Notification, OutboxEmail, Reminder
from core.selectors import MET_LATE_SHOWN_DAYS, SOON_WORKDAYS, State, deadline_board
from core.tasks import deadline_sweep_task, email_send_task

WEEKDAYS = [
    _("星期一"),
    _("星期二"),
    _("星期三"),
    _("星期四"),
    _("星期五"),
    _("星期六"),
    _("星期日"),
]


class CalendarImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV 文件"),
        help_text=_("UTF-8 编码，第 1 行为表头 date,kind,name；kind 为 holiday 或 workday。"),
    )
    complete_years = forms.BooleanField(
        label=_("同时标记年份为完整"),
        required=False,
        help_text=_("只有标记为完整的年份才能用于期限计算。请在录入该年全部节假日安排后勾选。"),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            services.calendar_size_check(upload.size)  # before the file is read
        except ServiceError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return upload


@admin.register(CalendarDay)
class CalendarDayAdmin(SimpleHistoryAdmin):
    list_display = ["date", "weekday", "kind", "name"]
    list_filter = ["kind"]
    date_hierarchy = "date"
    search_fields = ["name"]
    ordering = ["-date"]

    @admin.display(description=_("星期"))
    def weekday(self, obj: CalendarDay) -> str:
        return WEEKDAYS[obj.date.weekday()]

    def get_urls(self):
        # Before the default URLs: "<path:object_id>/" would otherwise swallow "import/".
        view = self.admin_site.admin_view(self.import_view)
        return [path("import/", view, name="core_calendarday_import_csv"), *super().get_urls()]

    def has_import_permission(self, request: HttpRequest) -> bool:
        return self.has_add_permission(request) and self.has_change_permission(request)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_import": self.has_import_permission(request)}
        return super().changelist_view(request, extra_context)

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_import_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            form = CalendarImportForm(request.POST, request.FILES)
        else:
            form = CalendarImportForm()
        if form.is_bound and form.is_valid():
            complete = form.cleaned_data["complete_years"]
            # Marking a year complete is a change of CalendarYear: the form needs that right too.
            if complete and not request.user.has_perm("core.change_calendaryear"):
                raise PermissionDenied
            try:
                result = services.calendar_import_csv(
                    content=form.cleaned_data["file"].read(),
                    complete_years=complete,
                    user=request.user,
                )
            except ServiceError as exc:
                self.message_user(request, _("导入失败，未写入任何数据。"), messages.ERROR)
                for line in str(exc).splitlines():
                    self.message_user(request, line, messages.ERROR)
            else:
                self._report_import(request, result, complete)
                return HttpResponseRedirect(reverse("admin:core_calendarday_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("导入工作日历"),
            "form": form,
        }
        return TemplateResponse(request, "admin/core/calendarday/import_csv.html", context)

    def _report_import(self, request: HttpRequest, result: dict, complete: bool) -> None:
        years = ", ".join(str(y) for y in result["years"])
        if complete:
            text = _("已导入 %(rows)s 行，年份 %(years)s 已标记为完整。")
        else:
            text = _(
                "已导入 %(rows)s 行（年份：%(years)s）。年份未标记为完整，暂不能用于期限计算。"
            )
        self.message_user(request, text % {"rows": result["rows"], "years": years})


@admin.register(CalendarYear)
class CalendarYearAdmin(SimpleHistoryAdmin):
    list_display = ["year", "complete", "source", "marked_by", "marked_at"]
    list_filter = ["complete", "source"]
    fields = ["year", "complete", "note", "source", "marked_by", "marked_at"]
    readonly_fields = ["source", "marked_by", "marked_at"]
    actions = ["mark_complete"]

    def save_model(self, request, obj, form, change):
        # Marking complete records who and when: that goes through the service (Y4(2)).
        super().save_model(request, obj, form, change)
        if obj.complete and (not change or "complete" in form.changed_data):
            services.calendar_year_mark_complete(year=obj.year, user=request.user, note=obj.note)
            obj.refresh_from_db()

    @admin.action(description=_("标记为完整"), permissions=["change"])
    def mark_complete(self, request: HttpRequest, queryset) -> None:
        # Years already complete keep their source and marker: re-marking a seeded year would
        # make it "staff-entered", and calendar_seed would stop refreshing it.
        years = sorted(queryset.filter(complete=False).values_list("year", flat=True))
        for year in years:
            services.calendar_year_mark_complete(year=year, user=request.user)
        if years:
            text = _("已将 %(years)s 年标记为完整。") % {"years": ", ".join(map(str, years))}
            self.message_user(request, text)
        else:
            self.message_user(request, _("所选年份均已是完整状态，未作修改。"), messages.WARNING)


# Deadlines (issue 4 §4): read-only lists, the deadline board and the personal notifications. The
# sweep's writes happen in core.deadlines; the admin only enqueues it.

MY_NOTIFICATIONS_SHOWN = 100


def may_run_sweep(user) -> bool:
    """The supervision office runs the sweep on demand (it only sends what is owed anyway);
    readers (leader, legal-affairs office, auditor) do not."""
    return user.is_superuser or user.groups.filter(name=roles.STAFF).exists()


class ReadOnlyAdmin(admin.ModelAdmin):
    """Written by the services only (Y4(2): who was told what, and when, stays as it was)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
            return format_html('<strong style="color:#b3261e">{}</strong>', gettext("已逾期"))
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
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("期限看板"),
            "board": board,
            "overdue_count": board.count(State.OVERDUE),
            "soon_count": board.count(State.SOON),
            "unknown_count": board.count(State.UNKNOWN),
            "met_late_count": board.count(State.MET_LATE),
            "mine": mine,
            "states": State,
            "soon_workdays": SOON_WORKDAYS,
            "met_late_days": MET_LATE_SHOWN_DAYS,
            "may_run_sweep": may_run_sweep(request.user),
            # Interrupted or failed e-mails wait for a person (issue 12 §8, core.mail).
            "emails_to_review": OutboxEmail.objects.filter(
                status__in=[OutboxEmail.Status.UNKNOWN, OutboxEmail.Status.FAILED]
            ).count(),
        }
        return TemplateResponse(request, "admin/core/deadline/board.html", context)

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


class ReminderSentFilter(admin.SimpleListFilter):
    title = _("发送状态")
    parameter_name = "sent"

    def lookups(self, request, model_admin):
        return [("yes", _("已发送")), ("no", _("未发送"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(sent_at__isnull=self.value() == "no")
        return queryset


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


@admin.register(OutboxEmail)
class OutboxEmailAdmin(ReadOnlyAdmin):
    """Every e-mail with its fate (issue 12 §8). An e-mail whose sending was interrupted (待核实)
    is never resent on its own: look its Message-ID up in the mail relay's log, then confirm it
    was delivered or send it again (docs/deployment.md §8.1)."""

    list_display = [
        "subject",
        "recipients",
        "status",
        "attempts",
        "created_at",
        "sent_at",
        "message_id",
    ]
    list_filter = ["status"]
    search_fields = ["subject", "message_id", "to"]
    date_hierarchy = "created_at"
    fields = [
        "subject",
        "recipients",
        "from_email",
        "message_id",
        "status",
        "attempts",
        "attempted_at",
        "sent_at",
        "last_error",
        "reminder",
        "reviewed_by",
        "reviewed_at",
        "body",
    ]
    readonly_fields = ["recipients"]
    actions = ["confirm_delivered", "resend"]

    @admin.display(description=_("收件人"))
    def recipients(self, obj: OutboxEmail) -> str:
        return ", ".join(obj.to)

    def has_review_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("core.review_outboxemail")

    @admin.action(description=_("已在邮件服务器日志中查到：确认已送达"), permissions=["review"])
    def confirm_delivered(self, request: HttpRequest, queryset) -> None:
        self._review(request, queryset, delivered=True)

    @admin.action(description=_("日志中没有（或发送失败）：重新发送一次"), permissions=["review"])
    def resend(self, request: HttpRequest, queryset) -> None:
        self._review(request, queryset, delivered=False)

    def _review(self, request: HttpRequest, queryset, *, delivered: bool) -> None:
        done = 0
        for email in queryset:
            try:
                mail.email_review(email_id=email.pk, user=request.user, delivered=delivered)
            except ServiceError as exc:
                self.message_user(request, f"{email.message_id}：{exc}", messages.WARNING)
                continue
            if not delivered:
                transaction.on_commit(partial(email_send_task.delay, email.pk), robust=True)
            done += 1
        if delivered:
            text = gettext("已确认送达 %(n)s 封邮件。") % {"n": done}
        else:
            text = gettext("已将 %(n)s 封邮件交给后台任务重新发送。") % {"n": done}
        self.message_user(request, text)


class NotificationReadFilter(admin.SimpleListFilter):
    title = _("阅读状态")
    parameter_name = "read"

    def lookups(self, request, model_admin):
        return [("yes", _("已读")), ("no", _("未读"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(read_at__isnull=self.value() == "no")
        return queryset


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
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("我的通知"),
            "notifications": notifications,
            "shown": MY_NOTIFICATIONS_SHOWN,
        }
        return TemplateResponse(request, "admin/core/notification/mine.html", context)

    def read_view(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST":
            ids = request.POST.getlist("id")
            ids = [int(i) for i in ids if i.isdigit()] if ids else None
            deadlines.notifications_mark_read(user=request.user, ids=ids)
        return HttpResponseRedirect(reverse("admin:core_notification_mine"))


# -- accounts ------------------------------------------------------------------------------------
# Django stores each permission's name once, in English ("Can add log entry"), whatever language
# the screens speak: the user and group pickers name permissions from the model's verbose name.
DEFAULT_ACTIONS = {"add": _("增加"), "change": _("修改"), "delete": _("删除"), "view": _("查看")}


def model_label(model) -> str:
    """A model's name for people; simple-history's copies ("historical 检查任务", which it does
    not translate) as the history of the model they copy."""
    original = getattr(model, "instance_type", None)
    if original is None:
        return str(model._meta.verbose_name)
    owner = original._meta.auto_created  # the history of a many-to-many field
    if owner:
        field = next(f for f in owner._meta.many_to_many if f.remote_field.through is original)
        return gettext("%(model)s的%(field)s（历史记录）") % {
            "model": owner._meta.verbose_name,
            "field": field.verbose_name,
        }
    return gettext("%(model)s（历史记录）") % {"model": original._meta.verbose_name}


class PermissionField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        model = obj.content_type.model_class()
        if model is None:  # a model removed since
            return str(obj)
        action, _sep, rest = obj.codename.partition("_")
        if action in DEFAULT_ACTIONS and rest == model._meta.model_name:
            what = DEFAULT_ACTIONS[action]
        else:
            what = obj.name  # the project's own permissions are named in Chinese
        return f"{model._meta.app_config.verbose_name} | {model_label(model)} | {what}"


class PermissionLabels:
    """For UserAdmin and GroupAdmin: their permission pickers, labelled by PermissionField."""

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name in ("permissions", "user_permissions"):
            kwargs["form_class"] = PermissionField
            kwargs.setdefault("queryset", Permission.objects.select_related("content_type"))
        return super().formfield_for_manytomany(db_field, request, **kwargs)


admin.site.unregister(get_user_model())
admin.site.unregister(Group)


@admin.register(get_user_model())
class UserAdmin(PermissionLabels, auth_admin.UserAdmin):
    pass


@admin.register(Group)
class GroupAdmin(PermissionLabels, auth_admin.GroupAdmin):
    pass
