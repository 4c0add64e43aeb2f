"""The double random draw (N10–N12, Y3.5, RFC 3797): announce the future public sources, enter their
values and execute, or — with a reason and two witnesses — draw on the spot; re-draw with a reason
and a second approver. The record is read-only for everybody: an executed draw never changes."""

from collections import Counter
from decimal import Decimal

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.exceptions import ServiceError
from inspections.admin.common import render_page, show_service_error
from inspections.admin.forms import (
    ExecuteForm,
    ImmediateForm,
    MissingRuleForm,
    RedrawForm,
    SourceFormSet,
)
from inspections.models import Draw, InspectionTask, RedrawRequest
from inspections.services.draws import (
    MINIMUM_PERCENT,
    draw_announce,
    draw_execute,
    draw_immediate,
)
from inspections.services.draws import entropy_estimate as estimate_bits
from inspections.services.redraws import redraw_approvers, redraw_request_create
from inspections.services.sources import SOURCE_KINDS, draw_timing_problems
from inspections.services.tasks import task_period_warning
from registry.models import Institution, RiskTier
from tools import verify_draw as algorithm

STRATUM_LABELS = dict(RiskTier.choices)
# Why a candidate in a target's ranking did not join its team (TeamBuilder.greedy).
OUTCOMES = {
    "conflict": _("利害关系回避"),
    "load": _("已达工作量上限"),
    "already": _("已在本组"),
}
POOLS = {"local": _("本辖区"), "borrow": _("相邻辖区")}
PHASES = {1: "", 2: _("借调阶段"), 3: _("放宽工作量上限")}
LATE = "color:#b3261e"


def public_url(name: str, draw_id: int, fallback: str) -> str:
    try:
        return reverse(name, args=[draw_id])
    except NoReverseMatch:
        return fallback


def source_bits(source: dict) -> float:
    known = SOURCE_KINDS.get(source.get("kind"))
    return known["bits"] if known else float(source.get("entropy_bits") or 0)


def entropy_preview(task: InspectionTask, sources: list[dict]) -> dict:
    """RFC 3797 §5 before announcing: the bits the named sources carry against log2 C(pool, picks),
    with the pool and strata as the registry stands now (the announcement freezes them)."""
    institutions = Institution.objects.practising().filter(
        sector=task.sector, jurisdiction__in=task.jurisdictions.all()
    )
    sizes = dict.fromkeys(algorithm.STRATA, 0)
    sizes.update(Counter(institutions.values_list("risk_tier", flat=True)))
    ratios = {k: format(Decimal(v).normalize(), "f") for k, v in task.ratios.items()}
    planned = algorithm.stratum_counts(sizes, ratios, MINIMUM_PERCENT)
    pool, picks = sum(sizes.values()), sum(planned.values())
    sources = [{"name": s["name"], "entropy_bits": round(source_bits(s), 1)} for s in sources]
    return {
        **estimate_bits(sources, pool, picks),
        "pool": pool,
        "picks": picks,
        "sources": sources,
        "strata": [
            {"label": STRATUM_LABELS[s], "size": sizes[s], "planned": planned[s]}
            for s in algorithm.STRATA
        ],
    }


def draw_detail(draw: Draw) -> dict:
    """Everything the detail page shows, from the published announcement and result."""
    ann = draw.announcement
    values = draw.source_values or []
    sources = [
        {
            **s,
            "label": SOURCE_KINDS[s["kind"]]["label"] if s.get("kind") in SOURCE_KINDS else "",
            "values": " ".join(str(v) for v in values[i]) if i < len(values) else "",
        }
        for i, s in enumerate(ann["sources"])
    ]
    pools = [
        {"label": label, "size": len(ann["pools"][name]["entries"]), **ann["pools"][name]}
        for name, label in (
            ("targets", gettext("检查对象")),
            ("inspectors", gettext("执法检查人员")),
            ("conflicts", gettext("利害关系（回避）")),
        )
    ]
    strata = [
        {"label": STRATUM_LABELS.get(s["code"], s["code"]), **s} for s in ann.get("strata", [])
    ]
    estimate = None
    if ann.get("entropy"):
        estimate = {
            **ann["entropy"],
            "pool": pools[0]["size"],
            "picks": sum(s.get("planned", 0) for s in ann.get("strata", [])),
            "sources": [{"name": s["name"], "entropy_bits": s["entropy_bits"]} for s in sources],
        }
    detail = {
        "ann": ann,
        "sources": sources,
        "pools": pools,
        "strata": strata,
        "estimate": estimate,
        "targets": [],
        "stage": None,
        "timing": draw_timing_problems(sources=ann["sources"], draw=draw),
    }
    if draw.result:
        detail.update(_result_detail(ann, draw.result))
    return detail


def _result_detail(ann: dict, result: dict) -> dict:
    targets = {t["credit_code"]: t for t in ann["pools"]["targets"]["entries"]}
    inspectors = {i["certificate"]: i for i in ann["pools"]["inspectors"]["entries"]}
    teams = {team["credit_code"]: team for team in result["teams"]}

    def person(certificate: str) -> dict:
        entry = inspectors.get(certificate, {})
        return {
            "certificate": certificate,
            "name": entry.get("name", ""),
            "jurisdiction": entry.get("jurisdiction", ""),
        }

    rows = []
    for order, selection in enumerate(result["selections"], start=1):
        code = selection["credit_code"]
        team = teams.get(code, {"members": [], "steps": [], "excluded_for_conflict": []})
        rows.append(
            {
                "order": order,
                "credit_code": code,
                "name": targets.get(code, {}).get("name", ""),
                "stratum": STRATUM_LABELS.get(selection["stratum"], selection["stratum"]),
                "pick": selection["pick"],
                "remaining": selection["remaining"],
                "digest": selection["digest"],
                "members": [
                    {**person(m["certificate"]), "borrowed": m["borrowed"]} for m in team["members"]
                ],
                "skipped": [
                    {
                        **person(step["certificate"]),
                        "reason": OUTCOMES.get(step["outcome"], step["outcome"]),
                        "outcome": step["outcome"],
                        "pool": POOLS.get(step["pool"], step["pool"]),
                        "phase": PHASES.get(step["phase"], ""),
                        "pick": step["pick"],
                        "digest": step["digest"],
                    }
                    for step in team["steps"]
                    if step["outcome"] != "accepted"
                ],
                "conflicts": len(team["excluded_for_conflict"]),
            }
        )
    stage = result.get("stages", {}).get("jurisdictions")
    return {
        "targets": rows,
        "stage": stage,
        "result_strata": [
            {"label": STRATUM_LABELS.get(s["code"], s["code"]), **s} for s in result["strata"]
        ],
        "load_cap": result.get("load_cap"),
        "load_cap_relaxed": result.get("load_cap_relaxed"),
        "key": result.get("key"),
    }


@admin.register(Draw)
class DrawAdmin(admin.ModelAdmin):
    """Read-only for everybody, superusers included: the page shows, the services write."""

    list_display = [
        "task",
        "number",
        "status_display",
        "verifiable_display",
        "announced_at",
        "executed_at",
    ]
    list_filter = ["status", "verifiable", "task__sector"]
    search_fields = ["task__name"]
    list_select_related = ["task"]
    date_hierarchy = "announced_at"
    change_form_template = "admin/inspections/draw_change_form.html"
    BASE_FIELDS = [
        "task",
        "number",
        "status_display",
        "verifiable_display",
        "announced_at",
        "announced_by",
    ]
    EXECUTED_FIELDS = ["executed_at", "executed_by"]
    REDRAW_FIELDS = ["redraw_of", "redraw_reason", "redraw_requested_by", "redraw_approved_by"]
    IMMEDIATE_FIELDS = ["immediate_reason", "witnesses_display"]

    def get_fields(self, request, obj=None):
        fields = list(self.BASE_FIELDS)
        if obj is not None and obj.is_executed:
            fields += self.EXECUTED_FIELDS
        if obj is not None and obj.superseded_at:
            fields.append("superseded_at")
        if obj is not None and obj.redraw_of_id:
            fields += self.REDRAW_FIELDS
        if obj is not None and not obj.verifiable:
            fields += self.IMMEDIATE_FIELDS
        return fields

    def get_readonly_fields(self, request, obj=None):
        return [
            *self.BASE_FIELDS,
            *self.EXECUTED_FIELDS,
            "superseded_at",
            *self.REDRAW_FIELDS,
            *self.IMMEDIATE_FIELDS,
        ]

    @admin.display(description=_("状态"), ordering="status")
    def status_display(self, obj):
        if obj.superseded_at:
            return format_html(
                '{} <strong style="{}">{}</strong>',
                obj.get_status_display(),
                LATE,
                gettext("（已被重新抽取取代）"),
            )
        return obj.get_status_display()

    @admin.display(description=_("可公开验证"), ordering="verifiable")
    def verifiable_display(self, obj):
        if obj.verifiable:
            return gettext("可公开验证")
        return format_html(
            '<strong style="{}">{}</strong>', LATE, gettext("不可公开验证（当场抽取）")
        )

    @admin.display(description=_("见证人"))
    def witnesses_display(self, obj):
        return "、".join(obj.witnesses or [])

    def has_add_permission(self, request):
        return False  # announced from an approved task, below

    def has_change_permission(self, request, obj=None):
        return False  # N10–N12: a draw is never edited, for anybody

    def has_delete_permission(self, request, obj=None):
        return False

    def may_draw(self, request) -> bool:
        return request.user.has_perm("inspections.add_draw")

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "announce/<int:task_id>/",
                view(self.announce_view),
                name="inspections_draw_announce",
            ),
            path(
                "immediate/<int:task_id>/",
                view(self.immediate_view),
                name="inspections_draw_immediate",
            ),
            path("<int:pk>/execute/", view(self.execute_view), name="inspections_draw_execute"),
            path("<int:pk>/redraw/", view(self.redraw_view), name="inspections_draw_redraw"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        draw = self.get_object(request, object_id)
        extra = {}
        if draw is not None:
            live = draw.superseded_at is None
            extra = {
                **draw_detail(draw),
                "draw": draw,
                "public_url": public_url("inspections:draw_detail", draw.pk, f"/draws/{draw.pk}/"),
                "json_url": public_url("inspections:draw_json", draw.pk, f"/draws/{draw.pk}.json"),
                "can_execute": self.may_draw(request) and live and not draw.is_executed,
                "can_redraw": self.may_draw(request) and live,
                "pending_redraw": draw.redraw_requests.filter(
                    status=RedrawRequest.Status.PENDING
                ).first(),
            }
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    # -- announce ----------------------------------------------------------------------------
    def _drawable_task(self, request, task_id: int) -> InspectionTask:
        if not self.may_draw(request):
            raise PermissionDenied
        return get_object_or_404(InspectionTask, pk=task_id)

    def _to_task(self, task):
        return redirect("admin:inspections_inspectiontask_change", task.pk)

    @staticmethod
    def _period(request, task, *, drawing: bool) -> dict:
        """Issue 12 §11.4: a task whose period has passed or mostly gone is drawn only once that is
        confirmed on the page (templates/admin/inspections/_period_confirm.html)."""
        warning = task_period_warning(task=task)
        confirmed = not warning or bool(request.POST.get("confirm_period"))
        if drawing and not confirmed:
            messages.error(request, gettext("请先确认该任务的检查期间已过（或所剩无几）。"))
        return {"period_warning": warning, "period_confirmed": confirmed}

    def _to_draw(self, draw):
        return redirect("admin:inspections_draw_change", draw.pk)

    def announce_view(self, request, task_id: int):
        task = self._drawable_task(request, task_id)
        if task.status != InspectionTask.Status.APPROVED:
            messages.error(request, gettext("检查任务须经单位负责人审批后才能抽取（N10）。"))
            return self._to_task(task)
        sources = SourceFormSet(request.POST or None, prefix="source")
        rule = MissingRuleForm(request.POST or None)
        estimate = None
        period = self._period(request, task, drawing="_confirm" in request.POST)
        if request.method == "POST" and sources.is_valid() and rule.is_valid():
            estimate = entropy_preview(task, sources.sources())
            if "_confirm" in request.POST and period["period_confirmed"]:
                try:
                    draw = draw_announce(
                        task=task,
                        sources=sources.sources(),
                        user=request.user,
                        missing_rule=rule.cleaned_data["missing_rule"],
                    )
                except ServiceError as exc:
                    show_service_error(request, exc)
                else:
                    messages.success(
                        request,
                        gettext(
                            "抽取已公告：检查对象和执法人员名录已冻结。待随机源产生后，请录入并执行。"
                        ),
                    )
                    return self._to_draw(draw)
        return render_page(
            self,
            request,
            "draw_announce.html",
            gettext("公告抽取：%(t)s") % {"t": task},
            task=task,
            sources=sources,
            rule=rule,
            estimate=estimate,
            **period,
        )

    # -- execute -----------------------------------------------------------------------------
    def execute_view(self, request, pk: int):
        if not self.may_draw(request):
            raise PermissionDenied
        draw = get_object_or_404(Draw.objects.select_related("task"), pk=pk)
        if draw.is_executed or draw.superseded_at:
            messages.error(request, gettext("该抽取已经执行或已被取代，不能再次执行。"))
            return self._to_draw(draw)
        form = ExecuteForm(request.POST or None, sources=draw.announcement["sources"])
        if request.method == "POST" and form.is_valid():
            try:
                draw = draw_execute(draw=draw, values=form.values(), user=request.user)
            except ServiceError as exc:
                form.add_error(None, str(exc))
                if exc.code == "infeasible":
                    form.add_error(
                        None,
                        gettext(
                            "名录已在公告时冻结：请补充可抽取的执法检查人员（或相邻辖区人员）后“申请重新抽取”。"
                        ),
                    )
            else:
                messages.success(request, gettext("抽取已执行，结果已保存，不可更改。"))
                return self._to_draw(draw)
        return render_page(
            self,
            request,
            "draw_execute.html",
            gettext("录入随机源并执行：%(d)s") % {"d": draw},
            draw,
            draw=draw,
            form=form,
        )

    # -- immediate ---------------------------------------------------------------------------
    def immediate_view(self, request, task_id: int):
        task = self._drawable_task(request, task_id)
        form = ImmediateForm(request.POST or None)
        period = self._period(request, task, drawing=request.method == "POST")
        if request.method == "POST" and form.is_valid() and period["period_confirmed"]:
            data = form.cleaned_data
            try:
                draw = draw_immediate(
                    task=task,
                    reason=data["reason"],
                    witnesses=[data["witness_1"], data["witness_2"]],
                    user=request.user,
                )
            except ServiceError as exc:
                show_service_error(request, exc)
            else:
                messages.warning(
                    request,
                    gettext("已当场抽取。本次抽取由服务器生成随机数，标注为“不可公开验证”。"),
                )
                return self._to_draw(draw)
        return render_page(
            self,
            request,
            "draw_immediate.html",
            gettext("当场抽取：%(t)s") % {"t": task},
            task=task,
            form=form,
            **period,
        )

    # -- re-draw -----------------------------------------------------------------------------
    def redraw_view(self, request, pk: int):
        """The requester states the reason and names the new sources. The request is recorded
        and reaches every unit head (notification and e-mail, their list of pending requests);
        nothing is announced until one of them — not the requester — approves it."""
        if not self.may_draw(request):
            raise PermissionDenied
        draw = get_object_or_404(Draw.objects.select_related("task"), pk=pk)
        if draw.superseded_at:
            messages.error(request, gettext("该抽取已被取代。"))
            return self._to_draw(draw)
        form = RedrawForm(request.POST or None)
        sources = SourceFormSet(request.POST or None, prefix="source")
        rule = MissingRuleForm(request.POST or None)
        estimate = None
        if request.method == "POST" and all(f.is_valid() for f in (form, sources, rule)):
            estimate = entropy_preview(draw.task, sources.sources())
            try:
                redraw_request = redraw_request_create(
                    draw=draw,
                    reason=form.cleaned_data["reason"],
                    sources=sources.sources(),
                    missing_rule=rule.cleaned_data["missing_rule"],
                    user=request.user,
                )
            except ServiceError as exc:
                show_service_error(request, exc)
            else:
                approvers = len(redraw_approvers(exclude=request.user))
                messages.success(
                    request,
                    gettext(
                        "重新抽取申请已提交，已通知 %(n)s 位单位负责人审批；批准后才会公告新的抽取。"
                    )
                    % {"n": approvers},
                )
                if not approvers:
                    messages.warning(request, gettext("目前没有可以审批的单位负责人账号。"))
                return redirect("admin:inspections_redrawrequest_decide", redraw_request.pk)
        return render_page(
            self,
            request,
            "draw_redraw.html",
            gettext("申请重新抽取：%(d)s") % {"d": draw},
            draw,
            draw=draw,
            form=form,
            sources=sources,
            rule=rule,
            estimate=estimate,
        )
