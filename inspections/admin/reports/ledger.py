"""The follow-up ledger in the office (Y3.6, N16): each problem's entry, opened by the report's
approval, followed up and closed (销号) on its own page."""

from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core.downloads import download_link
from core.exceptions import ServiceError
from inspections.admin.common import show_service_error
from inspections.admin.forms import DATE
from inspections.models import LedgerEntry
from inspections.services.reports import ledger_close, ledger_update


class LedgerStateFilter(admin.SimpleListFilter):
    title = _("办理状态")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", _("未销号")), ("overdue", _("已超期")), ("closed", _("已销号"))]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        return {
            "open": queryset.filter(closed_on__isnull=True),
            "overdue": queryset.filter(closed_on__isnull=True, due_on__lt=today),
            "closed": queryset.filter(closed_on__isnull=False),
        }.get(self.value(), queryset)


class LedgerForm(forms.Form):
    kind = forms.ChoiceField(label=_("处理方式"), choices=LedgerEntry.Kind.choices)
    case_number = forms.CharField(label=_("立案号"), required=False, max_length=100)
    transferred_to = forms.CharField(label=_("移送机关"), required=False, max_length=200)
    suspected_crime = forms.BooleanField(
        label=_("涉嫌犯罪"), required=False, help_text=_("N16：涉嫌犯罪的，移送司法机关。")
    )
    due_on = forms.DateField(label=_("整改/办结期限"), required=False, widget=DATE)


class LedgerCloseForm(forms.Form):
    closed_on = forms.DateField(label=_("销号日期"), widget=DATE, initial=timezone.localdate)
    rectification = forms.CharField(
        label=_("整改情况"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    evidence = forms.FileField(label=_("整改材料"), required=False)
    note = forms.CharField(
        label=_("销号说明"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


@admin.register(LedgerEntry)
class LedgerEntryAdmin(SimpleHistoryAdmin):
    list_display = ["institution", "problem", "kind", "due_on", "closed_on", "state"]
    list_filter = [LedgerStateFilter, "kind", "suspected_crime"]
    search_fields = ["inspection__institution__name", "case_number", "transferred_to"]
    list_select_related = ["inspection__institution", "item__check_item"]
    fields = [
        "inspection",
        "item",
        "finding",
        "kind",
        "case_number",
        "transferred_to",
        "suspected_crime",
        "due_on",
        "rectification",
        "evidence_link",
        "closed_on",
        "closing_note",
        "created_by",
        "created_at",
    ]
    readonly_fields = fields
    change_form_template = "admin/inspections/ledgerentry_change_form.html"

    def has_add_permission(self, request):
        return False  # opened by the report's approval, one per problem

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("检查对象"))
    @admin.display(description=_("整改材料"))
    def evidence_link(self, obj):
        return download_link(obj, "evidence")

    def institution(self, obj):
        return obj.inspection.institution

    @admin.display(description=_("问题"))
    def problem(self, obj):
        return obj.item.check_item.name

    @admin.display(description=_("检查情况"))
    def finding(self, obj):
        return obj.item.finding

    @admin.display(description=_("状态"))
    def state(self, obj):
        if obj.closed_on:
            return gettext("已销号")
        if obj.due_on and obj.due_on < timezone.localdate():
            return format_html('<strong class="tone-bad">{}</strong>', gettext("已超期"))
        return gettext("办理中")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        entry = self.get_object(request, object_id)
        may_change = (
            entry is not None and not entry.is_closed and self.has_change_permission(request, entry)
        )
        if request.method == "POST":
            if may_change:
                self._ledger_post(request, entry)
            return redirect(request.path)  # the page itself is read-only
        context = {**(extra_context or {})}
        if may_change:
            fields = ("kind", "case_number", "transferred_to", "suspected_crime", "due_on")
            context["ledger_form"] = LedgerForm(initial={f: getattr(entry, f) for f in fields})
            context["close_form"] = LedgerCloseForm()
        return super().change_view(request, object_id, form_url, context)

    def _ledger_post(self, request, entry) -> None:
        closing = "_close" in request.POST
        form = LedgerCloseForm(request.POST, request.FILES) if closing else LedgerForm(request.POST)
        if not form.is_valid():
            for field, errors in form.errors.items():
                label = form.fields[field].label if field in form.fields else ""
                for error in errors:
                    messages.error(request, f"{label}：{error}" if label else error)
            return
        try:
            if closing:
                ledger_close(entry=entry, user=request.user, **form.cleaned_data)
                messages.success(request, gettext("已销号。"))
            else:
                ledger_update(entry=entry, user=request.user, **form.cleaned_data)
                messages.success(request, gettext("台账已更新。"))
        except ServiceError as exc:
            show_service_error(request, exc)
