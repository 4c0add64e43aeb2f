"""A plan's sections, one per sector (N7–N9): edited inline on the plan's page (ratios, team size)
and on their own page (the check items, only the sector's own and none left out; the methods;
the rounds)."""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from inspections.admin.common import ChangeContextMixin
from inspections.admin.forms import PlanSectionForm, items_in_year
from inspections.admin.plans.check import check_context, plan_editable, report_check
from inspections.admin.plans.rounds import PlanRoundInline, may_add_tasks, task_for_round_link
from inspections.models import PlanSection
from registry.models import Method


def section_fill_defaults(section: PlanSection) -> int:
    """A new section starts with every item of its sector's list in force that year (N9: nothing
    left out) and, when none were chosen, the methods of those items."""
    items = list(items_in_year(section))
    section.check_items.set(items)
    if not section.methods:
        used = {m for item in items for m in item.methods or []}
        section.methods = [m for m in Method.values if m in used]
        section.save(update_fields=["methods"])
    return len(items)


def _items_message(section: PlanSection, count: int) -> str:
    return gettext(
        "%(s)s：已选入本行业清单中 %(n)s 项当年有效的抽查事项（N9：不得缺项）。请在行业页面核对事项、抽查方式并安排批次。"
    ) % {"s": section.sector, "n": count}


class PlanSectionInlineForm(forms.ModelForm):
    class Meta:
        model = PlanSection
        fields = [
            "sector",
            "target_scope",
            "ratio_key",
            "ratio_normal",
            "ratio_reduced",
            "team_size",
        ]

    def clean_sector(self):
        sector = self.cleaned_data["sector"]
        if self.instance.pk and sector.pk != self.instance.sector_id:
            # The chosen items and rounds belong to the sector: add a new section instead.
            raise forms.ValidationError(_("已建立的计划行业不能更改行业。"))
        return sector


class PlanSectionInline(admin.TabularInline):
    model = PlanSection
    form = PlanSectionInlineForm
    fields = [
        "sector",
        "ratio_key",
        "ratio_normal",
        "ratio_reduced",
        "team_size",
        "items_count",
        "rounds_text",
        "section_link",
    ]
    readonly_fields = ["items_count", "rounds_text", "section_link"]
    extra = 0
    verbose_name_plural = _("计划行业")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "sector" and field is not None:
            field.widget.can_view_related = False
            field.widget.can_change_related = False
            field.widget.can_add_related = False
        return field

    @admin.display(description=_("事项、方式、批次"))
    def section_link(self, obj):
        if not obj.pk:
            return gettext("保存后编辑")
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:inspections_plansection_change", args=[obj.pk]),
            gettext("编辑 →"),
        )

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("sector")
            .prefetch_related("rounds")
            .annotate(items=Count("check_items", distinct=True))
        )

    @admin.display(description=_("抽查事项"))
    def items_count(self, obj):
        if not obj.pk:
            return "—"
        return ngettext("%(n)s 项", "%(n)s 项", obj.items) % {"n": obj.items}

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is not None and obj.is_published and may_add_tasks(request):
            fields = [f if f != "rounds_text" else "rounds_with_tasks" for f in fields]
        return fields

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "rounds_with_tasks"]

    @admin.display(description=_("批次"))
    def rounds_text(self, obj):
        return self._rounds(obj, links=False)

    @admin.display(description=_("批次"))
    def rounds_with_tasks(self, obj):
        return self._rounds(obj, links=True)

    def _rounds(self, obj, *, links: bool):
        if not obj.pk:
            return "—"
        rounds = list(obj.rounds.all())
        if not rounds:
            return gettext("尚未安排")
        lines = []
        for r in rounds:
            line = format_html(
                '<span class="insp-nowrap">{} {} — {}</span>',
                gettext("第 %(n)s 批") % {"n": r.number},
                f"{r.starts_on:%m-%d}",
                f"{r.ends_on:%m-%d}",
            )
            if links:
                line = format_html("{} {}", line, task_for_round_link(r))
            lines.append(line)
        return mark_safe("<br>".join(lines))

    def has_add_permission(self, request, obj=None):
        return (obj is None or plan_editable(obj)) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return (obj is None or plan_editable(obj)) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return (obj is None or not obj.is_published) and super().has_delete_permission(request, obj)


@admin.register(PlanSection)
class PlanSectionAdmin(ChangeContextMixin, SimpleHistoryAdmin):
    """Reached from its plan's page: the check items (only the sector's own, N9 none left out),
    the methods and the rounds with their dates (Y3.4, N7)."""

    form = PlanSectionForm
    filter_horizontal = ["check_items"]
    inlines = [PlanRoundInline]
    list_display = ["__str__", "ratio_key", "ratio_normal", "ratio_reduced", "team_size"]
    list_select_related = ["plan", "sector"]
    change_form_template = "admin/inspections/plansection_change_form.html"
    COMMON = ["target_scope", "ratio_key", "ratio_normal", "ratio_reduced", "team_size"]

    def get_model_perms(self, request):
        return {}  # not in the index: sections are opened from their plan

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["plan", "sector", *self.COMMON, "methods"]
        if self.has_change_permission(request, obj):
            return ["plan", "sector", "check_items", *self.COMMON, "methods"]
        return ["plan", "sector", "items_display", *self.COMMON, "methods_display"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["plan", "sector", "items_display", "methods_display"]

    @admin.display(description=_("抽查方式"))
    def methods_display(self, obj):
        return obj.get_methods_display()

    @admin.display(description=_("抽查事项"))
    def items_display(self, obj):
        return format_html(
            '<ul class="insp-list">{}</ul>',
            format_html_list(obj.check_items.order_by("order", "code")),
        )

    def has_change_permission(self, request, obj=None):
        if obj is not None and not plan_editable(obj.plan):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.plan.is_published:
            return False
        return super().has_delete_permission(request, obj)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if not change:
            count = section_fill_defaults(form.instance)
            messages.info(request, _items_message(form.instance, count))

    def response_add(self, request, obj, post_url_continue=None):
        # Items and rounds are edited on the change page: always continue there.
        if "_popup" not in request.POST:
            request.POST = request.POST.copy()
            request.POST["_continue"] = "1"
        response = super().response_add(request, obj, post_url_continue)
        report_check(request, obj.plan)
        return response

    def response_change(self, request, obj):
        response = super().response_change(request, obj)
        report_check(request, obj.plan)
        return response

    def response_post_save_change(self, request, obj):
        return redirect("admin:inspections_annualplan_change", obj.plan_id)

    def change_context(self, request, section) -> dict:
        return {**check_context(section.plan, section), "plan": section.plan}


def format_html_list(items) -> str:
    return format_html_join(
        "", "<li>{} {} <small>（{}）</small></li>", ((i.code, i.name, i.legal_basis) for i in items)
    )
