"""Annual plans (Y3.4, N7–N9): edited as drafts and checked on every save, published by 31 January,
afterwards changed only under a registered revision that is itself published.

One module per part of a plan: `annual` (the plan, its publication and revisions' pages),
`sections`, `rounds`, `revisions` (the public record of changes), and `check` (what every page
of a plan shows of plan_check). Importing this package registers each admin once.
"""

from inspections.admin.plans.annual import AnnualPlanAdmin
from inspections.admin.plans.check import check_context, plan_editable, report_check
from inspections.admin.plans.revisions import PlanRevisionAdmin
from inspections.admin.plans.rounds import PlanRoundInline, may_add_tasks, task_for_round_link
from inspections.admin.plans.sections import (
    PlanSectionAdmin,
    PlanSectionInline,
    PlanSectionInlineForm,
    format_html_list,
    section_fill_defaults,
)

__all__ = [
    "AnnualPlanAdmin",
    "PlanRevisionAdmin",
    "PlanRoundInline",
    "PlanSectionAdmin",
    "PlanSectionInline",
    "PlanSectionInlineForm",
    "check_context",
    "format_html_list",
    "may_add_tasks",
    "plan_editable",
    "report_check",
    "section_fill_defaults",
    "task_for_round_link",
]
