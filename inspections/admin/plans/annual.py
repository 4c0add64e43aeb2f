"""Annual plans (Y3.4, N7–N9): edited as drafts and checked on every save, published by 31 January,
afterwards changed only under a registered revision that is itself published."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core.exceptions import ServiceError
from inspections.admin.common import render_page, show_service_error
from inspections.admin.forms import PlanRevisionForm, PlanSectionForm, items_in_year
from inspections.models import AnnualPlan, PlanRevision, PlanRound, PlanSection
from inspections.services.plans import (
    MINIMUM_YEARLY_PERCENT,
    plan_check,
    plan_deadline_open,
    plan_publish,
    plan_revision_open,
    plan_revision_publish,
    revision_schedule,
)
from registry.models import Method

LATE = "color:#b3261e"


def plan_editable(plan: AnnualPlan) -> bool:
    """Y3.4: a published plan is changed only while a revision of it is open."""
    return not plan.is_published or plan.open_revision() is not None


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


def check_context(plan: AnnualPlan, section: PlanSection | None = None) -> dict:
    """plan_check's errors and warnings and the coverage figures (N8), for one section or all."""
    check = plan_check(plan=plan)
    sections = plan.sections.select_related("sector")
    if section is not None:
        sections = sections.filter(pk=section.pk)
        prefix = f"{section.sector}："
        errors = [e for e in check.errors if e.startswith(prefix)]
        warnings = [w for w in check.warnings if w.startswith(prefix)]
    else:
        errors, warnings = check.errors, check.warnings
    coverage = []
    for item in sections:
        figures = check.coverage.get(item.pk, {})
        total = figures.get("institutions", 0)
        coverage.append(
            {
                "section": item,
                **figures,
                "percent": round(100 * figures.get("yearly", 0) / total, 1) if total else None,
                "short": bool(total) and figures.get("yearly", 0) < figures.get("needed", 0),
            }
        )
    return {
        "plan_checked": True,
        "check_errors": errors,
        "check_warnings": warnings,
        "coverage": coverage,
        "minimum_percent": MINIMUM_YEARLY_PERCENT,
    }


def report_check(request, plan: AnnualPlan) -> None:
    """Shown after every save of a plan, section or round (N8, N9, Y3.4)."""
    check = plan_check(plan=plan)
    if check.errors or check.warnings:
        messages.warning(
            request,
            gettext(
                "计划检查：%(e)s 项问题须改正后才能公布，%(w)s 项提示。详见计划页面的“计划检查”。"
            )
            % {"e": len(check.errors), "w": len(check.warnings)},
        )
    else:
        messages.success(request, gettext("计划检查通过。"))


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
                '<span style="white-space:nowrap">{} {} — {}</span>',
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


@admin.register(AnnualPlan)
class AnnualPlanAdmin(SimpleHistoryAdmin):
    list_display = ["title", "year", "jurisdiction", "status", "publication", "revision_state"]
    list_filter = ["status", "year", "jurisdiction"]
    search_fields = ["title"]
    list_select_related = ["jurisdiction"]
    inlines = [PlanSectionInline]
    change_form_template = "admin/inspections/annualplan_change_form.html"

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["jurisdiction", "year", "title"]
        return ["jurisdiction", "year", "title", "status", "publication", "published_by"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["jurisdiction", "year", "status", "publication", "published_by"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:  # Y3.4: the 31 January deadline starts with the plan
            plan_deadline_open(plan=obj, responsible=request.user)

    @admin.display(description=_("公布情况（Y3.4：1 月 31 日前）"))
    def publication(self, obj):
        due = obj.due_date
        if obj.is_published:
            if obj.is_late:
                return format_html(
                    '{} <strong style="{}">{}</strong>',
                    gettext("%(d)s 公布") % {"d": obj.published_on},
                    LATE,
                    gettext("逾期（应于 %(due)s 前公布）") % {"due": due},
                )
            return gettext("%(d)s 公布，按期") % {"d": obj.published_on}
        if obj.is_late:
            return format_html(
                '<strong style="{}">{}</strong>',
                LATE,
                gettext("未公布，已超过 %(due)s") % {"due": due},
            )
        return gettext("未公布，应于 %(due)s 前公布") % {"due": due}

    @admin.display(description=_("修订"))
    def revision_state(self, obj):
        revisions = list(obj.revisions.all())
        open_one = next((r for r in revisions if not r.published_at), None)
        if open_one:
            return gettext("第 %(n)s 次修订待发布（最迟 %(d)s）") % {
                "n": open_one.number,
                "d": open_one.publish_by,
            }
        return gettext("已发布 %(n)s 次") % {"n": len(revisions)} if revisions else "—"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("revisions")

    def has_change_permission(self, request, obj=None):
        if obj is not None and not plan_editable(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_published:
            return False  # a published plan stays public (N6, Y3.4)
        return super().has_delete_permission(request, obj)

    def may_edit_plans(self, request) -> bool:
        return super().has_change_permission(request)

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        for section in getattr(formset, "new_objects", []):
            if isinstance(section, PlanSection):
                count = section_fill_defaults(section)
                messages.info(request, _items_message(section, count))

    def response_add(self, request, obj, post_url_continue=None):
        response = super().response_add(request, obj, post_url_continue)
        report_check(request, obj)
        return response

    def response_change(self, request, obj):
        response = super().response_change(request, obj)
        report_check(request, obj)
        return response

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/publish/", view(self.publish_view), name="inspections_plan_publish"),
            path("<int:pk>/revise/", view(self.revise_view), name="inspections_plan_revise"),
            path(
                "<int:pk>/publish-revision/",
                view(self.revision_publish_view),
                name="inspections_plan_revision_publish",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        plan = self.get_object(request, object_id)
        extra = {}
        if plan is not None:
            extra = self._plan_context(request, plan)
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def _plan_context(self, request, plan: AnnualPlan) -> dict:
        open_revision = plan.open_revision()
        may_edit = self.may_edit_plans(request)
        return {
            **check_context(plan),
            "plan": plan,
            "open_revision": open_revision,
            "open_revision_schedule": _explain(open_revision) if open_revision else "",
            "revisions": plan.revisions.order_by("number"),
            "can_publish": may_edit and not plan.is_published,
            "can_revise": may_edit and plan.is_published and open_revision is None,
            "can_publish_revision": may_edit and open_revision is not None,
        }

    def _plan_or_404(self, request, pk: int) -> AnnualPlan:
        if not self.may_edit_plans(request):
            raise PermissionDenied
        return get_object_or_404(AnnualPlan, pk=pk)

    def _back(self, plan: AnnualPlan):
        return redirect("admin:inspections_annualplan_change", plan.pk)

    def publish_view(self, request, pk: int):
        plan = self._plan_or_404(request, pk)
        if request.method == "POST":
            try:
                plan = plan_publish(plan=plan, user=request.user)
            except ServiceError as exc:
                show_service_error(request, exc)
            else:
                if plan.is_late:
                    messages.warning(
                        request,
                        gettext("计划已公布。公布日期晚于 %(due)s，按 Y3.4 标注为逾期公布。")
                        % {"due": plan.due_date},
                    )
                else:
                    messages.success(request, gettext("计划已公布。"))
            return self._back(plan)
        return render_page(
            self,
            request,
            "annualplan_publish.html",
            gettext("公布计划：%(t)s") % {"t": plan},
            plan,
            plan=plan,
            today=timezone.localdate(),
            **check_context(plan),
        )

    def revise_view(self, request, pk: int):
        plan = self._plan_or_404(request, pk)
        form = PlanRevisionForm(request.POST or None)
        schedule, refused = "", False
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            schedule = _schedule_text(data["changed_on"], data["affected_starts_on"])
            try:
                revision = plan_revision_open(plan=plan, user=request.user, **data)
            except ServiceError as exc:
                show_service_error(request, exc)
                refused = True
            else:
                messages.success(
                    request,
                    gettext("已登记第 %(n)s 次修订，现可修改计划内容；改完后请发布修订。%(s)s")
                    % {"n": revision.number, "s": schedule},
                )
                return self._back(plan)
        return render_page(
            self,
            request,
            "annualplan_revise.html",
            gettext("登记修订：%(t)s") % {"t": plan},
            plan,
            plan=plan,
            form=form,
            schedule=schedule,
            refused=refused,
        )

    def revision_publish_view(self, request, pk: int):
        plan = self._plan_or_404(request, pk)
        revision = plan.open_revision()
        if revision is None:
            messages.error(request, gettext("该计划没有待发布的修订。"))
            return self._back(plan)
        if request.method == "POST":
            try:
                revision = plan_revision_publish(revision=revision, user=request.user)
            except ServiceError as exc:
                show_service_error(request, exc)
            else:
                text = gettext("第 %(n)s 次修订已发布。") % {"n": revision.number}
                if revision.is_late:
                    messages.warning(
                        request,
                        text
                        + gettext("晚于最迟发布日期 %(d)s（Y3.4：5 个工作日内），已标注为逾期。")
                        % {"d": revision.publish_by},
                    )
                else:
                    messages.success(request, text)
            return self._back(plan)
        return render_page(
            self,
            request,
            "annualplan_revision_publish.html",
            gettext("发布修订：%(r)s") % {"r": revision},
            plan,
            plan=plan,
            revision=revision,
            schedule=_explain(revision),
            **check_context(plan),
        )


def _schedule_text(changed_on, affected_starts_on) -> str:
    try:
        return revision_schedule(
            changed_on=changed_on, affected_starts_on=affected_starts_on
        ).explain()
    except ServiceError as exc:  # e.g. no working-day calendar for that year (SPEC §6)
        return str(exc)


def _explain(revision: PlanRevision) -> str:
    return _schedule_text(revision.changed_on, revision.affected_starts_on)


def may_add_tasks(request) -> bool:
    return request.user.has_perm("inspections.add_inspectiontask")


def task_for_round_link(plan_round: PlanRound) -> str:
    """The task add page filled in from this round of the published plan."""
    url = reverse("admin:inspections_inspectiontask_add") + f"?plan_round={plan_round.pk}"
    return format_html(
        '<a href="{}" style="white-space:nowrap">{}</a>', url, gettext("为本批次创建任务")
    )


class PlanRoundInline(admin.TabularInline):
    model = PlanRound
    fields = ["number", "starts_on", "ends_on"]
    readonly_fields = ["tasks_display"]
    extra = 0

    def get_fields(self, request, obj=None):
        # A published plan's rounds are carried out by tasks (N10): each round lists its tasks and
        # offers a new one, started from the plan (N8, N11, Y3.4).
        if obj is not None and obj.plan.is_published and may_add_tasks(request):
            return [*self.fields, "tasks_display"]
        return self.fields

    @admin.display(description=_("检查任务"))
    def tasks_display(self, obj):
        if not obj.pk:
            return "—"
        tasks = format_html_join(
            mark_safe("<br>"),
            '<a href="{}">{}</a>（{}）',
            (
                (
                    reverse("admin:inspections_inspectiontask_change", args=[t.pk]),
                    t.name,
                    t.get_status_display(),
                )
                for t in obj.tasks.order_by("pk")
            ),
        )
        link = task_for_round_link(obj)
        return format_html("{}<br>{}", tasks, link) if tasks else link

    def has_add_permission(self, request, obj=None):
        editable = obj is None or plan_editable(obj.plan)
        return editable and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        editable = obj is None or plan_editable(obj.plan)
        return editable and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        editable = obj is None or plan_editable(obj.plan)
        return editable and super().has_delete_permission(request, obj)


@admin.register(PlanSection)
class PlanSectionAdmin(SimpleHistoryAdmin):
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
            "<ul style='margin:0;padding-left:1.2em'>{}</ul>",
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

    def change_view(self, request, object_id, form_url="", extra_context=None):
        section = self.get_object(request, object_id)
        extra = {}
        if section is not None:
            extra = {**check_context(section.plan, section), "plan": section.plan}
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})


def format_html_list(items) -> str:
    return format_html_join(
        "", "<li>{} {} <small>（{}）</small></li>", ((i.code, i.name, i.legal_basis) for i in items)
    )


@admin.register(PlanRevision)
class PlanRevisionAdmin(SimpleHistoryAdmin):
    """The public record of changes to published plans (Y3.4); registered and published from the
    plan's page, never edited or deleted."""

    list_display = [
        "__str__",
        "changed_on",
        "affected_starts_on",
        "publish_by",
        "published_at",
        "timeliness",
    ]
    list_filter = ["plan"]
    list_select_related = ["plan"]
    fields = [
        "plan",
        "number",
        "reason",
        "summary",
        "changed_on",
        "affected_starts_on",
        "publish_by",
        "schedule",
        "published_at",
        "published_by",
        "created_by",
        "timeliness",
    ]
    readonly_fields = fields

    @admin.display(description=_("期限计算（Y3.4）"))
    def schedule(self, obj):
        return _explain(obj)

    @admin.display(description=_("是否按期"))
    def timeliness(self, obj):
        if obj.published_at is None:
            return gettext("待发布（最迟 %(d)s）") % {"d": obj.publish_by}
        if obj.is_late:
            return format_html('<strong style="{}">{}</strong>', LATE, gettext("逾期发布"))
        return gettext("按期发布")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
