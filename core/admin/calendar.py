"""The working-day calendar (SPEC §6): staff enter next year's schedule here once the State Council
publishes it, by hand or by importing the `date,kind,name` CSV, and mark the year complete. Every
write goes through core.services; simple-history records who changed what (N6)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core import services
from core.admin.common import ImportPageMixin, render_page
from core.exceptions import ServiceError
from core.models import CalendarDay, CalendarYear

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
class CalendarDayAdmin(ImportPageMixin, SimpleHistoryAdmin):
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
        return render_page(
            self, request, "admin/core/calendarday/import_csv.html", _("导入工作日历"), form=form
        )

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
