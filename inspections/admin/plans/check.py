"""What every page of a plan shows and says after a save: plan_check's errors, warnings and
coverage (N8, N9, Y3.4), and whether a plan may be edited (Y3.4: a published plan only under an
open revision)."""

from django.contrib import messages
from django.utils.translation import gettext

from inspections.models import AnnualPlan, PlanSection
from inspections.services.plans import MINIMUM_YEARLY_PERCENT, plan_check


def plan_editable(plan: AnnualPlan) -> bool:
    """Y3.4: a published plan is changed only while a revision of it is open."""
    return not plan.is_published or plan.open_revision() is not None


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
